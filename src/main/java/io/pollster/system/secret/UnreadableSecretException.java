package io.pollster.system.secret;

/**
 * A sealed value that does not open: sealed under another key, altered, of an unknown format, or
 * sealed for another context (another job's row). The message names no secret.
 */
public class UnreadableSecretException extends IllegalStateException {

    UnreadableSecretException(String message, Throwable cause) {
        super(message, cause);
    }
}
