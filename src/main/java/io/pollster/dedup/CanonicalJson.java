package io.pollster.dedup;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Writes a JSON tree in one canonical spelling, so that documents that mean the same produce the same bytes:
 * object keys sorted by UTF-16 code units (as RFC 8785 does), no whitespace, strings with minimal escaping,
 * and each number written one way whatever its spelling ({@code 1}, {@code 1.0}, {@code 1e0}, {@code 10E-1}
 * are all {@code 1}; {@code -0} is {@code 0}).
 *
 * <p>Numbers are exact decimals, not doubles: {@code 0.1} stays {@code 0.1}, and two values that differ only
 * past a double's precision still hash differently. That departs from RFC 8785 on purpose: dedup must never
 * call two different upstream values equal.
 */
final class CanonicalJson {

    // why: the largest integer written digit by digit; above it exponent form keeps 1e999999999 from becoming
    // a billion zeros. 21 digits is where JavaScript switches too.
    private static final int MAX_PLAIN_INTEGER_DIGITS = 21;

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private CanonicalJson() {
    }

    /** The canonical UTF-8 bytes of a parsed document; {@link ArithmeticException} for numbers beyond BigDecimal. */
    static byte[] write(JsonNode root) {
        StringBuilder out = new StringBuilder(256);
        write(root, out);
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void write(JsonNode node, StringBuilder out) {
        switch (node.getNodeType()) {
            case OBJECT -> writeObject(node, out);
            case ARRAY -> {
                out.append('[');
                for (int i = 0; i < node.size(); i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    write(node.get(i), out);
                }
                out.append(']');
            }
            case STRING -> writeString(node.textValue(), out);
            case NUMBER -> out.append(number(node));
            case BOOLEAN -> out.append(node.booleanValue() ? "true" : "false");
            case NULL -> out.append("null");
            default -> throw new IllegalStateException("A parsed document cannot hold a " + node.getNodeType() + " node");
        }
    }

    private static void writeObject(JsonNode node, StringBuilder out) {
        List<Map.Entry<String, JsonNode>> fields = new ArrayList<>(node.properties());
        if (fields.size() > 1) {
            fields.sort(Map.Entry.comparingByKey());
        }
        out.append('{');
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            Map.Entry<String, JsonNode> field = fields.get(i);
            writeString(field.getKey(), out);
            out.append(':');
            write(field.getValue(), out);
        }
        out.append('}');
    }

    static String number(JsonNode node) {
        return switch (node.numberType()) {
            // why: every int and long has fewer than 21 digits, so plain digits are already the canonical form
            case INT, LONG -> Long.toString(node.longValue());
            case BIG_INTEGER -> decimal(new BigDecimal(node.bigIntegerValue()));
            case BIG_DECIMAL -> decimal(node.decimalValue());
            case FLOAT, DOUBLE -> decimal(new BigDecimal(Double.toString(node.doubleValue())));
        };
    }

    static String decimal(BigDecimal value) {
        if (value.signum() == 0) {
            return "0";
        }
        // why: stripTrailingZeros gives every numeric value exactly one (unscaled, scale) pair, so what follows
        // is a function of the value alone
        BigDecimal stripped = value.stripTrailingZeros();
        int scale = stripped.scale();
        if (scale <= 0 && (long) stripped.precision() - scale <= MAX_PLAIN_INTEGER_DIGITS) {
            return stripped.toPlainString();
        }
        return stripped.toString().replace('E', 'e');
    }

    private static void writeString(String s, StringBuilder out) {
        out.append('"');
        int length = s.length();
        int plainFrom = 0;
        for (int i = 0; i < length; i++) {
            char c = s.charAt(i);
            String escape = null;
            if (c == '"') {
                escape = "\\\"";
            } else if (c == '\\') {
                escape = "\\\\";
            } else if (c < 0x20) {
                escape = switch (c) {
                    case '\b' -> "\\b";
                    case '\t' -> "\\t";
                    case '\n' -> "\\n";
                    case '\f' -> "\\f";
                    case '\r' -> "\\r";
                    default -> unicodeEscape(c);
                };
            } else if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < length && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                    continue;
                }
                // why: a lone surrogate has no UTF-8 form; escaping keeps it distinct instead of becoming '?'
                escape = unicodeEscape(c);
            }
            if (escape != null) {
                out.append(s, plainFrom, i).append(escape);
                plainFrom = i + 1;
            }
        }
        out.append(s, plainFrom, length).append('"');
    }

    private static String unicodeEscape(char c) {
        return new String(new char[] {'\\', 'u', HEX[c >> 12 & 0xF], HEX[c >> 8 & 0xF], HEX[c >> 4 & 0xF], HEX[c & 0xF]});
    }
}
