package io.pollster.system.web;

/** One entry of a problem's {@code errors}: which input field is wrong and why. */
public record InvalidField(String field, String message) {
}
