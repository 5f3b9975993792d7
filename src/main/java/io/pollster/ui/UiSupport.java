package io.pollster.ui;

import io.pollster.system.web.ApiException;
import io.pollster.user.BrowserSessions;
import io.pollster.user.Caller;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;

/**
 * What every page has: who is logged in and the session's CSRF token for its forms; and how a
 * page fails: as a page with a message (the API's own), never a stack trace.
 */
@ControllerAdvice(basePackageClasses = UiSupport.class)
@Order(Ordered.HIGHEST_PRECEDENCE)
class UiSupport {

    private static final Logger log = LoggerFactory.getLogger(UiSupport.class);

    /** Scripts, styles and forms only from this site; no framing; no referrer leaves with a job's URL in it. */
    private static final String POLICY = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none';"
            + " form-action 'self'; frame-ancestors 'none'";

    @ModelAttribute
    void common(HttpServletRequest request, HttpServletResponse response, Model model) {
        response.setHeader("Content-Security-Policy", POLICY);
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("Referrer-Policy", "same-origin");
        response.setHeader("Cache-Control", "no-store");
        model.addAttribute("me", Caller.of(request).orElse(null));
        model.addAttribute("csrf", BrowserSessions.csrf(request));
        model.addAttribute("path", request.getRequestURI());
    }

    @ExceptionHandler(PageFailed.class)
    String failed(PageFailed e, HttpServletRequest request, HttpServletResponse response, Model model) {
        common(request, response, model); // an exception handler's model starts empty
        response.setStatus(e.status());
        model.addAttribute("status", e.status());
        model.addAttribute("message", e.status() == 404 ? "This page does not exist, or it is not yours to see." : e.getMessage());
        return "error-page";
    }

    /** A refusal from a service a page called directly (such as a 429 for too many comparisons at once). */
    @ExceptionHandler(ApiException.class)
    String refused(ApiException e, HttpServletRequest request, HttpServletResponse response, Model model) {
        if (e.retryAfter() != null) {
            response.setHeader("Retry-After", Long.toString(Math.max(1, e.retryAfter().toSeconds())));
        }
        return failed(new PageFailed(e.status().value(), e.getMessage()), request, response, model);
    }

    /** A malformed id in a page's path: no such page. */
    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    String malformed(HttpServletRequest request, HttpServletResponse response, Model model) {
        return failed(new PageFailed(404, "not found"), request, response, model);
    }

    @ExceptionHandler(Exception.class)
    String unexpected(Exception e, HttpServletRequest request, HttpServletResponse response, Model model) {
        log.error("A web UI page failed", e);
        return failed(new PageFailed(500, "Something went wrong on the server; its log has the details."), request, response, model);
    }
}
