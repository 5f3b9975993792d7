package io.pollster.ingest;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.pollster.system.web.ApiException;
import io.pollster.system.web.InvalidField;
import org.springframework.http.HttpStatus;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a {@code POST /messages} body and checks every entry before anything is enqueued: one bad
 * entry rejects the whole request, with every error named by its index.
 */
final class MessageParser {

    private static final Set<String> FIELDS = Set.of("timestamp", "value", "key");
    private static final int MAX_ERRORS = 100;

    private final JsonMapper json;
    private final int maxBatch;

    MessageParser(JsonMapper json, int maxBatch) {
        this.json = json;
        this.maxBatch = maxBatch;
    }

    record Message(String timestamp, String value, String key) {
        /** What the shard is chosen by. */
        String shardKey() {
            return key != null ? key : timestamp;
        }
    }

    List<Message> parse(byte[] body) {
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (JacksonException e) {
            throw notJson();
        }
        return parse(root);
    }

    /** For a body of unknown length, read in chunks: parsed from them, not from one more copy. */
    List<Message> parse(InputStream body) {
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (JacksonException e) {
            throw notJson();
        }
        return parse(root);
    }

    private static ApiException notJson() {
        return new ApiException(HttpStatus.BAD_REQUEST, "The request body is not valid JSON", List.of());
    }

    private List<Message> parse(JsonNode root) {
        if (root == null || !root.isArray()) {
            throw ApiException.invalid("$", "must be a JSON array of messages");
        }
        if (root.size() > maxBatch) {
            throw new ApiException(HttpStatus.CONTENT_TOO_LARGE,
                    "At most " + maxBatch + " messages per request; this one has " + root.size(), List.of());
        }
        if (root.isEmpty()) {
            throw ApiException.invalid("$", "must hold at least one message");
        }
        List<Message> messages = new ArrayList<>(root.size());
        List<InvalidField> errors = new ArrayList<>();
        for (int i = 0; i < root.size() && errors.size() < MAX_ERRORS; i++) {
            JsonNode entry = root.get(i);
            String at = "[" + i + "]";
            if (!entry.isObject()) {
                errors.add(new InvalidField(at, "must be an object"));
                continue;
            }
            int before = errors.size();
            for (Map.Entry<String, JsonNode> field : entry.properties()) {
                if (!FIELDS.contains(field.getKey())) {
                    errors.add(new InvalidField(at + "." + field.getKey(), "unknown field"));
                }
            }
            int typeErrors = errors.size();
            String timestamp = text(entry, "timestamp", at, errors);
            if (errors.size() == typeErrors) {
                if (timestamp == null) {
                    errors.add(new InvalidField(at + ".timestamp", "is required"));
                } else if (!Rfc3339.isDateTime(timestamp)) {
                    errors.add(new InvalidField(at + ".timestamp",
                            "must be an RFC 3339 date-time with seconds and an offset, e.g. 2026-01-01T12:00:00Z"));
                }
            }
            String value = text(entry, "value", at, errors);
            String key = text(entry, "key", at, errors);
            if (errors.size() == before) {
                messages.add(new Message(timestamp, value, key));
            }
        }
        if (!errors.isEmpty()) {
            throw ApiException.invalid(errors);
        }
        return messages;
    }

    /** The field as a string; null when absent or JSON null; an error when it is another type. */
    private static String text(JsonNode entry, String field, String at, List<InvalidField> errors) {
        JsonNode node = entry.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isString()) {
            errors.add(new InvalidField(at + "." + field, "must be a string"));
            return null;
        }
        return node.asString();
    }
}
