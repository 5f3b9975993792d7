package io.pollster.paging;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.JsonPathException;
import com.jayway.jsonpath.Option;
import com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider;
import com.jayway.jsonpath.spi.mapper.JacksonMappingProvider;

/**
 * One page's JSON, parsed once, with the JSONPath reads a run makes of it: a total, a cursor, a
 * next URL, the items. A body that is not JSON is an empty document: every read finds nothing.
 * Paths were checked when the job was saved (no regex filters, one deep scan at most), so a read
 * costs at most one walk of the document.
 */
final class PageDocument {

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();
    private static final Configuration PATHS = Configuration.builder()
            .jsonProvider(new JacksonJsonNodeJsonProvider(MAPPER))
            .mappingProvider(new JacksonMappingProvider(MAPPER))
            .options(Option.SUPPRESS_EXCEPTIONS)
            .build();

    private final JsonNode root;

    private PageDocument(JsonNode root) {
        this.root = root;
    }

    static PageDocument parse(byte[] body) {
        try {
            JsonNode root = MAPPER.readTree(body);
            return new PageDocument(root == null || root.isMissingNode() ? null : root);
        } catch (IOException | RuntimeException notJson) {
            return new PageDocument(null);
        }
    }

    static PageDocument of(JsonNode root) {
        return new PageDocument(root);
    }

    boolean isJson() {
        return root != null;
    }

    /** The value at a definite path, or null when absent (or JSON null). */
    JsonNode read(String path) {
        if (root == null || path == null) {
            return null;
        }
        try {
            Object found = JsonPath.using(PATHS).parse(root).read(path);
            JsonNode node = found instanceof JsonNode n ? n : found == null ? null : MAPPER.valueToTree(found);
            if (node != null && node.isArray() && !JsonPath.compile(path).isDefinite()) {
                return node.isEmpty() ? null : node.get(0);
            }
            return node == null || node.isNull() || node.isMissingNode() ? null : node;
        } catch (JsonPathException | IllegalArgumentException doesNotApply) {
            return null;
        }
    }

    /** Every value a path selects: the elements of an array it names, or what a wildcard matches. */
    List<JsonNode> readAll(String path) {
        List<JsonNode> all = new ArrayList<>();
        if (root == null || path == null) {
            return all;
        }
        try {
            Object found = JsonPath.using(PATHS).parse(root).read(path);
            if (found instanceof JsonNode node) {
                boolean definite = JsonPath.compile(path).isDefinite();
                if (node.isArray() && (!definite || node.size() > 0)) {
                    node.forEach(all::add);
                } else if (!node.isNull() && !node.isMissingNode()) {
                    all.add(node);
                }
            }
        } catch (JsonPathException | IllegalArgumentException doesNotApply) {
            // matches nothing
        }
        return all;
    }

    /** A whole number at the path (a number, or a string of digits), or null. */
    Long number(String path) {
        JsonNode node = read(path);
        if (node == null) {
            return null;
        }
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            return node.asLong();
        }
        if (node.isTextual() && node.asText().matches("\\d{1,18}")) {
            return Long.parseLong(node.asText());
        }
        return null;
    }

    /** Text at the path (a string, or a number's digits), or null when absent or empty. */
    String text(String path) {
        JsonNode node = read(path);
        if (node == null || !(node.isTextual() || node.isNumber())) {
            return null;
        }
        String text = node.asText();
        return text.isEmpty() ? null : text;
    }

    /** The value at the path as a truth, or null when absent. */
    Boolean truth(String path) {
        JsonNode node = read(path);
        if (node == null) {
            return null;
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isTextual()) {
            return Boolean.parseBoolean(node.asText());
        }
        return node.isNumber() ? node.asLong() != 0 : null;
    }

    /**
     * How many entries the page holds when no items path says: the document itself when it is an
     * array, else its first array-valued field; null when it has none.
     */
    Integer entries() {
        if (root == null) {
            return null;
        }
        if (root.isArray()) {
            return root.size();
        }
        for (JsonNode field : root) {
            if (field.isArray()) {
                return field.size();
            }
        }
        return null;
    }
}
