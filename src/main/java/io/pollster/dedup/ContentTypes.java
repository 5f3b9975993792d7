package io.pollster.dedup;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** The two facts the dedup step reads from a {@code Content-Type}: is it JSON, and which charset. */
final class ContentTypes {

    private ContentTypes() {
    }

    /** {@code application/json}, {@code application/*+json} or {@code text/json}, parameters ignored. */
    static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        String mime = mediaType(contentType);
        return mime.equals("application/json")
                || mime.equals("text/json")
                || (mime.startsWith("application/") && mime.endsWith("+json"));
    }

    /** The declared charset, or {@code null} when none is declared or it is unknown to the JVM. */
    static Charset declaredCharset(String contentType) {
        if (contentType == null) {
            return null;
        }
        String[] parts = contentType.split(";");
        for (int i = 1; i < parts.length; i++) {
            String param = parts[i].strip();
            int eq = param.indexOf('=');
            if (eq > 0 && param.substring(0, eq).strip().equalsIgnoreCase("charset")) {
                String name = param.substring(eq + 1).strip();
                if (name.length() >= 2 && name.startsWith("\"") && name.endsWith("\"")) {
                    name = name.substring(1, name.length() - 1);
                }
                try {
                    return Charset.forName(name);
                } catch (IllegalArgumentException unknown) {
                    // why: an upstream's typo in a charset must not fail the poll; UTF-8 is the sane guess
                    return null;
                }
            }
        }
        return null;
    }

    /** The declared charset, else UTF-8. */
    static Charset charset(String contentType) {
        Charset declared = declaredCharset(contentType);
        return declared != null ? declared : StandardCharsets.UTF_8;
    }

    private static String mediaType(String contentType) {
        int semicolon = contentType.indexOf(';');
        String mime = semicolon >= 0 ? contentType.substring(0, semicolon) : contentType;
        return mime.strip().toLowerCase(Locale.ROOT);
    }
}
