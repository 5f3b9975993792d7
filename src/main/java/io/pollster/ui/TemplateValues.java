package io.pollster.ui;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

import tools.jackson.databind.JsonNode;

/**
 * API answers as templates read them: objects as maps, arrays as lists, scalars as Java values. A
 * field the API leaves out (it omits nulls) reads as null rather than failing the page, as in the
 * JSON itself.
 */
final class TemplateValues {

    private TemplateValues() {
    }

    static Object of(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (node.isObject()) {
            Fields fields = new Fields();
            node.properties().forEach(field -> fields.put(field.getKey(), of(field.getValue())));
            return fields;
        }
        if (node.isArray()) {
            List<Object> items = new ArrayList<>(node.size());
            node.forEach(item -> items.add(of(item)));
            return items;
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isIntegralNumber()) {
            return node.canConvertToLong() ? (Object) node.longValue() : node.bigIntegerValue();
        }
        if (node.isNumber()) {
            return node.decimalValue();
        }
        return node.asString();
    }

    /** A JSON object: every name is readable, the absent ones as null. */
    static final class Fields extends LinkedHashMap<String, Object> {
        @Override
        public boolean containsKey(Object key) {
            return key instanceof String;
        }
    }
}
