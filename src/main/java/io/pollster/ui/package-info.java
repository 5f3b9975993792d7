/**
 * The web UI: server-rendered pages over the API. Each page reads and writes through the same
 * {@code /api/v1} handlers a client would call, in-process ({@link io.pollster.ui.InProcessApi}),
 * as the session's caller: the same checks, the same isolation, the same error messages.
 */
package io.pollster.ui;
