package io.pollster.system.web;

import java.util.List;

import org.springframework.http.HttpStatus;

/** An error the caller can act on: answered as problem+json with its status, never logged as a fault. */
public class ApiException extends RuntimeException {

    private final HttpStatus status;
    private final List<InvalidField> errors;

    public ApiException(HttpStatus status, String detail, List<InvalidField> errors) {
        super(detail);
        this.status = status;
        this.errors = List.copyOf(errors);
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
}
