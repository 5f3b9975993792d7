package io.pollster.system.web;

import java.time.Duration;
import java.util.List;

import org.springframework.http.HttpStatus;

/** An error the caller can act on: answered as problem+json with its status, never logged as a fault. */
public class ApiException extends RuntimeException {

    private final HttpStatus status;
    private final List<InvalidField> errors;
    private final Duration retryAfter;

    public ApiException(HttpStatus status, String detail, List<InvalidField> errors) {
        this(status, detail, errors, null);
    }

    private ApiException(HttpStatus status, String detail, List<InvalidField> errors, Duration retryAfter) {
        super(detail);
        this.status = status;
        this.errors = List.copyOf(errors);
        this.retryAfter = retryAfter;
    }

    /** 503 with a {@code Retry-After}: the caller did nothing wrong and may send the same request again later. */
    public static ApiException unavailable(String detail, Duration retryAfter) {
        return new ApiException(HttpStatus.SERVICE_UNAVAILABLE, detail, List.of(), retryAfter);
    }

    /** 429 with a {@code Retry-After}: the caller holds or asks too much at once. */
    public static ApiException tooManyRequests(String detail, Duration retryAfter) {
        return new ApiException(HttpStatus.TOO_MANY_REQUESTS, detail, List.of(), retryAfter);
    }

    public static ApiException notFound(String what) {
        return new ApiException(HttpStatus.NOT_FOUND, what + " not found", List.of());
    }

    public static ApiException conflict(String detail) {
        return new ApiException(HttpStatus.CONFLICT, detail, List.of());
    }

    public static ApiException forbidden(String detail) {
        return new ApiException(HttpStatus.FORBIDDEN, detail, List.of());
    }

    public static ApiException invalid(String field, String message) {
        return invalid(List.of(new InvalidField(field, message)));
    }

    public static ApiException invalid(List<InvalidField> errors) {
        return new ApiException(HttpStatus.BAD_REQUEST, "The request is invalid", errors);
    }

    public HttpStatus status() {
        return status;
    }

    public List<InvalidField> errors() {
        return errors;
    }

    /** How long the caller should wait before trying again; null when the answer has no {@code Retry-After}. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
