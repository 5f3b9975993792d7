package io.pollster.user;

import java.util.HexFormat;

/**
 * What proved a request's caller, kept on the request so that a long request (an event stream)
 * can ask again later whether it still holds: a bearer token (by its hash), or a web UI session
 * (by its id's hash).
 */
record Credential(Kind kind, byte[] hash) {

    static final String ATTRIBUTE = Credential.class.getName();

    enum Kind { ADMIN, TOKEN, SESSION }

    /** Equal for equal credentials (a record compares arrays by identity). */
    String key() {
        return kind + ":" + HexFormat.of().formatHex(hash);
    }
}
