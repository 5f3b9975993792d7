package io.pollster.ingest;

/**
 * Checks an RFC 3339 {@code date-time} (section 5.6): {@code 2026-01-31T23:59:60.5+01:00}, with
 * {@code T}/{@code Z} in either case, a real calendar day and a leap second allowed. Written by
 * hand because it runs for every pushed message: {@code OffsetDateTime.parse} took a tenth of the
 * ingest request's CPU (docs/benchmarks.md), and it is also looser (seconds optional) and
 * stricter (no leap second, no lower case) than the RFC.
 */
final class Rfc3339 {

    private static final int[] DAYS = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    private Rfc3339() {
    }

    static boolean isDateTime(String s) {
        int n = s.length();
        if (n < 20 || s.charAt(4) != '-' || s.charAt(7) != '-' || (s.charAt(10) | 0x20) != 't'
                || s.charAt(13) != ':' || s.charAt(16) != ':') {
            return false;
        }
        int year = number(s, 0, 4);
        int month = number(s, 5, 2);
        int day = number(s, 8, 2);
        int hour = number(s, 11, 2);
        int minute = number(s, 14, 2);
        int second = number(s, 17, 2);
        if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)
                || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
            return false;
        }
        int i = 19;
        if (s.charAt(i) == '.') {
            int digits = ++i;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
            }
            if (i == digits || i == n) {
                return false;
            }
        }
        char offset = s.charAt(i);
        if ((offset | 0x20) == 'z') {
            return i + 1 == n;
        }
        if ((offset != '+' && offset != '-') || n - i != 6 || s.charAt(i + 3) != ':') {
            return false;
        }
        int offsetHour = number(s, i + 1, 2);
        int offsetMinute = number(s, i + 4, 2);
        return offsetHour >= 0 && offsetHour <= 23 && offsetMinute >= 0 && offsetMinute <= 59;
    }

    /** The ASCII digits at {@code from} as a number, or -1 if any is not a digit. */
    private static int number(String s, int from, int length) {
        int value = 0;
        for (int i = from; i < from + length; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    private static int daysIn(int year, int month) {
        boolean leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        return month == 2 && leap ? 29 : DAYS[month - 1];
    }
}
