package io.pollster.paging;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.pollster.job.JobSpec;

/**
 * How a run walks its pages, as pure functions: the URL of page {@code n}, and what a fetched page
 * says about the rest — the total that plans them all, the next cursor or URL, or the end. For
 * {@code auto}, what the first page shows. No I/O; {@link PageRecorder} applies the answers.
 */
final class Paginator {

    /** Detail fetches of items (items.follow) are numbered above every page (maxPages is at most this). */
    static final int FOLLOW_BASE = 1_000_000;

    /** A cursor or next URL longer than this fails the run instead of being stored on every page. */
    static final int MAX_TARGET = 8 * 1024;

    private static final List<String> NEXT_URL_PATHS = List.of("$.next", "$.next.href", "$.links.next", "$.links.next.href",
            "$._links.next.href", "$.paging.next", "$.pagination.next", "$.meta.next");
    private static final List<String> ITEM_TOTALS = List.of("$.count", "$.total", "$.totalCount", "$.total_count",
            "$.meta.total", "$.pagination.total");
    private static final List<String> PAGE_TOTALS = List.of("$.totalPages", "$.total_pages", "$.meta.totalPages",
            "$.pagination.totalPages");
    private static final List<String> PAGE_PARAMS = List.of("page", "pageNumber", "page_number");
    private static final List<String> OFFSET_PARAMS = List.of("offset", "skip");
    private static final List<String> SIZE_PARAMS = List.of("limit", "per_page", "perPage", "pageSize", "page_size", "size");

    private Paginator() {
    }

    /** What one page says about the run. */
    sealed interface Step {
    }

    /** The first page gave a total: {@code pages} pages in all (page 1 included), capped; {@code note} says how. */
    record Plan(int pages, String note) implements Step {
    }

    /** Fetch one more page, with this cursor or URL (null for page and offset types). */
    record Next(String target) implements Step {
    }

    /** No more pages; {@code note} says why when it is worth telling (a cap), else null. */
    record End(String note) implements Step {
    }

    /** The run cannot go on: the page broke a rule. */
    record Fail(String error) implements Step {
    }

    /** What {@code auto} made of the first page: the settings to walk with, or why it would not guess. */
    record Detection(JobSpec.Pagination settings, String error) {
    }

    /** The URL that fetches page {@code number}; {@code target} is its cursor or URL for the sequential types. */
    static URI pageUrl(JobSpec.Pagination p, URI jobUrl, int number, String target) {
        if (p == null) {
            return jobUrl;
        }
        return switch (p.type()) {
            case "page" -> withParams(jobUrl, p.param(), Long.toString((long) p.start() + number - 1), p.sizeParam(), p.size());
            case "offset" -> withParams(jobUrl, p.param(), Long.toString((long) (number - 1) * p.size()), p.sizeParam(),
                    p.size());
            case "cursor" -> number == 1 || target == null ? jobUrl
                    : p.cursorPath() != null ? withParams(jobUrl, p.cursorParam(), target, null, null) : URI.create(target);
            case "link" -> number == 1 || target == null ? jobUrl : URI.create(target);
            default -> jobUrl; // auto: the first page is the job's URL as it is
        };
    }

    /**
     * What page {@code number} says about the rest.
     *
     * @param entries   how many items (or array entries) the page holds, or null when it holds no array
     * @param pageSize  what a full page holds: the configured size, else the first page's entries
     * @param planned   pages the run has planned so far, this one included (for maxPages)
     */
    static Step afterPage(JobSpec.Pagination p, int number, PageDocument page, String links, URI pageUrl, Integer entries,
                          Integer pageSize, int planned) {
        if (p == null) {
            return new End(null);
        }
        return switch (p.type()) {
            case "page", "offset" -> p.totalPath() != null ? total(p, number, page, pageSize)
                    : untilShort(p, page, entries, pageSize, planned);
            case "cursor" -> p.cursorPath() != null ? next(p, page.text(p.cursorPath()), null, planned)
                    : next(p, page.text(p.nextUrlPath()), pageUrl, planned);
            case "link" -> next(p, nextLink(links), pageUrl, planned);
            default -> throw new IllegalArgumentException("auto pagination is detected before its pages are walked");
        };
    }

    private static Step total(JobSpec.Pagination p, int number, PageDocument page, Integer pageSize) {
        if (number > 1) {
            return new End(null); // planned by the first page
        }
        Long total = page.number(p.totalPath());
        if (total == null || total < 0) {
            return new Fail("pagination.totalPath " + p.totalPath() + " found no whole number on the first page");
        }
        long pages;
        if ("pages".equals(p.totalIs())) {
            pages = total;
        } else {
            if (pageSize == null || pageSize < 1) {
                return total == 0 ? new Plan(1, null) : new Fail("the first page holds no items to size the pages by; set "
                        + "pagination.size, or totalIs \"pages\"");
            }
            pages = (total + pageSize - 1) / pageSize;
        }
        pages = Math.max(1, pages);
        if (pages > p.maxPages()) {
            return new Plan(p.maxPages(), "the upstream's total says " + pages + " pages; capped at maxPages " + p.maxPages());
        }
        return new Plan((int) pages, null);
    }

    private static Step untilShort(JobSpec.Pagination p, PageDocument page, Integer entries, Integer pageSize, int planned) {
        if (p.hasMorePath() != null) {
            Boolean more = page.truth(p.hasMorePath());
            if (more == null || !more) {
                return new End(null);
            }
        } else if (entries == null || entries == 0 || (pageSize != null && entries < pageSize)) {
            return new End(null);
        }
        return capped(p, planned, new Next(null));
    }

    private static Step next(JobSpec.Pagination p, String found, URI pageUrl, int planned) {
        if (found == null || found.isBlank()) {
            return new End(null);
        }
        if (found.length() > MAX_TARGET) {
            return new Fail("the next cursor or URL is longer than " + MAX_TARGET + " characters");
        }
        String target = found;
        if (pageUrl != null) {
            // the URL itself stays out of the error: next URLs often carry signed or token parameters
            try {
                URI resolved = resolve(pageUrl, found.strip());
                String scheme = resolved.getScheme();
                if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                        || resolved.getHost() == null || resolved.getRawUserInfo() != null) {
                    return new Fail("the next URL is not an http or https URL with a host (and no user info)");
                }
                target = resolved.toString();
            } catch (URISyntaxException | IllegalArgumentException e) {
                return new Fail("the next URL does not parse as a URL");
            }
        }
        return capped(p, planned, new Next(target));
    }

    private static Step capped(JobSpec.Pagination p, int planned, Next next) {
        return planned >= p.maxPages() ? new End("stopped at maxPages " + p.maxPages() + "; the upstream has more") : next;
    }

    /** An item's detail URL, resolved against the job's URL; null when it is not an http(s) URL. */
    static String followUrl(URI jobUrl, String found) {
        if (found == null || found.length() > MAX_TARGET) {
            return null;
        }
        try {
            URI resolved = resolve(jobUrl, found.strip());
            String scheme = resolved.getScheme();
            boolean http = scheme != null && (scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"));
            return http && resolved.getHost() != null && resolved.getRawUserInfo() == null ? resolved.toString() : null;
        } catch (URISyntaxException | IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * A reference resolved as RFC 3986 says; {@link URI#resolve} follows RFC 2396, which drops the
     * base's last segment for a query-only reference ({@code ?page=2}).
     */
    static URI resolve(URI base, String reference) throws URISyntaxException {
        if (reference.startsWith("?")) {
            String text = base.toString();
            int cut = text.length();
            for (char c : new char[] {'?', '#'}) {
                int at = text.indexOf(c);
                cut = at >= 0 ? Math.min(cut, at) : cut;
            }
            return new URI(text.substring(0, cut) + reference);
        }
        return base.resolve(new URI(reference));
    }

    /** The target of the {@code rel="next"} link among RFC 8288 Link headers, or null. */
    static String nextLink(String links) {
        if (links == null) {
            return null;
        }
        int at = 0;
        while (at < links.length()) {
            int open = links.indexOf('<', at);
            int close = open < 0 ? -1 : links.indexOf('>', open);
            if (close < 0) {
                return null;
            }
            String target = links.substring(open + 1, close);
            int end = close + 1;
            boolean quoted = false;
            while (end < links.length() && (quoted || links.charAt(end) != ',')) {
                if (links.charAt(end) == '"') {
                    quoted = !quoted;
                }
                end++;
            }
            for (String param : links.substring(close + 1, end).split(";")) {
                String[] pair = param.strip().split("=", 2);
                if (pair.length == 2 && pair[0].strip().equalsIgnoreCase("rel")) {
                    for (String rel : pair[1].strip().replace("\"", "").split("\\s+")) {
                        if (rel.equalsIgnoreCase("next")) {
                            return target.strip();
                        }
                    }
                }
            }
            at = end + 1;
        }
        return null;
    }

    /** {@code auto}: a Link rel=next, else a JSON next URL, else a total with the URL's page or offset parameter. */
    static Detection detect(JobSpec.Pagination auto, PageDocument page, String links, URI jobUrl, Integer entries) {
        String link = nextLink(links);
        String jsonNextPath = null;
        for (String path : NEXT_URL_PATHS) {
            String value = page.text(path);
            if (value != null && looksLikeUrl(value)) {
                jsonNextPath = path;
                break;
            }
        }
        if (link != null && jsonNextPath != null) {
            return new Detection(null, "pagination auto found both a Link rel=\"next\" header and a next URL at "
                    + jsonNextPath + "; set pagination {\"type\":\"link\"} or {\"type\":\"cursor\",\"nextUrlPath\":\""
                    + jsonNextPath + "\"}");
        }
        if (link != null) {
            return new Detection(settings(auto, "link", null, null, null, null, null, null, null), null);
        }
        if (jsonNextPath != null) {
            return new Detection(settings(auto, "cursor", null, null, null, null, null, null, jsonNextPath), null);
        }
        String totalPath = null;
        String totalIs = null;
        for (String path : PAGE_TOTALS) {
            if (page.number(path) != null) {
                totalPath = path;
                totalIs = "pages";
                break;
            }
        }
        for (String path : totalPath == null ? ITEM_TOTALS : List.<String>of()) {
            if (page.number(path) != null) {
                totalPath = path;
                totalIs = "items";
                break;
            }
        }
        if (totalPath == null) {
            return new Detection(null, null); // one page: nothing says there are more
        }
        Map<String, String> query = query(jobUrl);
        String pageParam = PAGE_PARAMS.stream().filter(query::containsKey).findFirst().orElse(null);
        String offsetParam = OFFSET_PARAMS.stream().filter(query::containsKey).findFirst().orElse(null);
        String sizeParam = auto.sizeParam() != null ? auto.sizeParam()
                : SIZE_PARAMS.stream().filter(query::containsKey).findFirst().orElse(null);
        Integer size = auto.size() != null ? auto.size() : sizeParam != null ? positive(query.get(sizeParam)) : null;
        if (size == null && entries != null && entries > 0) {
            size = entries;
        }
        if ((pageParam == null) == (offsetParam == null)) {
            String why = pageParam == null ? "the job's URL names no page or offset parameter ("
                    + String.join(", ", PAGE_PARAMS) + ", " + String.join(", ", OFFSET_PARAMS) + ")"
                    : "the job's URL names both " + pageParam + " and " + offsetParam;
            return new Detection(null, "pagination auto found a total at " + totalPath + ", but " + why
                    + "; set pagination {\"type\":\"page\",\"param\":\"page\",\"totalPath\":\"" + totalPath + "\"} or "
                    + "{\"type\":\"offset\",\"param\":\"offset\",\"size\":100,\"totalPath\":\"" + totalPath + "\"}");
        }
        if (offsetParam != null && size == null) {
            return new Detection(null, "pagination auto found a total at " + totalPath + " and the offset parameter "
                    + offsetParam + ", but not the page size; set pagination.size");
        }
        if (pageParam != null) {
            Integer start = positiveOrZero(query.get(pageParam));
            return new Detection(settings(auto, "page", pageParam, start == null ? 1 : start, sizeParam, size, totalPath,
                    totalIs, null), null);
        }
        return new Detection(settings(auto, "offset", offsetParam, null, sizeParam, size, totalPath, totalIs, null), null);
    }

    private static JobSpec.Pagination settings(JobSpec.Pagination auto, String type, String param, Integer start,
                                               String sizeParam, Integer size, String totalPath, String totalIs,
                                               String nextUrlPath) {
        return new JobSpec.Pagination(type, param, start, sizeParam, size, totalPath, totalIs, null, null, nextUrlPath, null,
                auto.maxPages(), auto.parallelism());
    }

    private static boolean looksLikeUrl(String value) {
        String lower = value.strip().toLowerCase(java.util.Locale.ROOT);
        return lower.startsWith("http://") || lower.startsWith("https://") || lower.startsWith("/") || lower.startsWith("?");
    }

    private static Integer positive(String value) {
        Integer n = positiveOrZero(value);
        return n == null || n == 0 ? null : n;
    }

    private static Integer positiveOrZero(String value) {
        if (value == null || !value.matches("\\d{1,9}")) {
            return null;
        }
        return Integer.parseInt(value);
    }

    /** The URL's query parameters, decoded; the first of a repeated name. */
    static Map<String, String> query(URI url) {
        Map<String, String> params = new LinkedHashMap<>();
        String raw = url.getRawQuery();
        if (raw == null || raw.isEmpty()) {
            return params;
        }
        for (String pair : raw.split("&")) {
            String[] kv = pair.split("=", 2);
            try {
                params.putIfAbsent(URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
                        kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
            } catch (IllegalArgumentException malformed) {
                // a parameter that does not decode is not one we look for
            }
        }
        return params;
    }

    /** The URL with {@code name=value} (and {@code sizeParam=size} when given) set, replacing what it had. */
    static URI withParams(URI url, String name, String value, String sizeParam, Integer size) {
        List<String> kept = new ArrayList<>();
        String raw = url.getRawQuery();
        if (raw != null && !raw.isEmpty()) {
            for (String pair : raw.split("&")) {
                String key = URLDecoder.decode(pair.split("=", 2)[0], StandardCharsets.UTF_8);
                if (!key.equals(name) && !(sizeParam != null && key.equals(sizeParam))) {
                    kept.add(pair);
                }
            }
        }
        kept.add(encode(name) + "=" + encode(value));
        if (sizeParam != null && size != null) {
            kept.add(encode(sizeParam) + "=" + size);
        }
        String base = url.toString();
        int hash = base.indexOf('#');
        String head = hash >= 0 ? base.substring(0, hash) : base;
        int cut = head.indexOf('?');
        head = cut >= 0 ? head.substring(0, cut) : head;
        return URI.create(head + "?" + String.join("&", kept));
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

}
