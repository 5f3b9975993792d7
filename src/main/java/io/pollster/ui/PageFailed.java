package io.pollster.ui;

/** An API call behind a page failed: the page answers with the API's status and its message. */
final class PageFailed extends RuntimeException {

    private final int status;

    PageFailed(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    static PageFailed of(InProcessApi.Answer answer) {
        return new PageFailed(answer.status(), answer.problem());
    }

    int status() {
        return status;
    }
}
