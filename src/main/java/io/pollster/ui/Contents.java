package io.pollster.ui;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A version's content as a page shows it: JSON pretty-printed, text as it is, anything else by its size. */
final class Contents {

    /** Beyond this a page shows the start of the content (the raw link has all of it). */
    static final int SHOWN_CHARS = 512 * 1024;

    private Contents() {
    }

    /**
     * @param text  all of it (null when the content is not text), pretty-printed when JSON
     * @param shown what a page shows of it: the start, at most {@link #SHOWN_CHARS}
     */
    record Readable(String text, String shown, boolean cut, long size) {
    }

    static Readable readable(byte[] body, String contentType, JsonMapper json) {
        String text = utf8(body);
        if (text == null) {
            return new Readable(null, null, false, body.length);
        }
        if (contentType == null || contentType.contains("json") || text.stripLeading().startsWith("{") || text.stripLeading().startsWith("[")) {
            try {
                JsonNode tree = json.readTree(text);
                text = json.writerWithDefaultPrettyPrinter().writeValueAsString(tree);
            } catch (JacksonException notJson) {
                // shown as text
            }
        }
        boolean cut = text.length() > SHOWN_CHARS;
        return new Readable(text, cut ? text.substring(0, SHOWN_CHARS) : text, cut, body.length);
    }

    /** The body as UTF-8 text; null when it is not. */
    static String utf8(byte[] body) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
