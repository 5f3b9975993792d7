package io.pollster.user;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Recognises a web UI session by its cookie and guards what it may do. On the UI's pages it sets
 * the caller and the session's CSRF token; every state-changing request there must carry that
 * token (a form's {@code _csrf} field or an {@code X-CSRF-Token} header) and, when the browser
 * says where it comes from, come from this site. On {@code /api/} a session may only read: a
 * request that writes needs a bearer token, so the API cannot be driven by a forged cross-site
 * request.
 */
class BrowserSessionFilter extends OncePerRequestFilter {

    /** Set on an API read the session may make; the bearer token filter lets only those through without a token. */
    static final String SESSION_READ = BrowserSessionFilter.class.getName() + ".read";
    static final String CSRF_FIELD = "_csrf";
    static final String CSRF_HEADER = "X-CSRF-Token";

    private final BrowserSessions sessions;

    BrowserSessionFilter(BrowserSessions sessions) {
        this.sessions = sessions;
    }

    /** The path as the container mapped it (decoded, normalised, without ;parameters): as the filters and Spring see it. */
    private static String path(HttpServletRequest request) {
        String pathInfo = request.getPathInfo();
        return request.getServletPath() + (pathInfo == null ? "" : pathInfo);
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = path(request);
        return path.startsWith("/assets/") || path.startsWith("/webjars/") || path.startsWith("/actuator")
                || path.startsWith("/swagger-ui") || path.startsWith("/v3/api-docs") || path.equals("/favicon.ico");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String path = path(request);
        boolean reads = switch (request.getMethod()) {
            case "GET", "HEAD", "OPTIONS" -> true;
            default -> false;
        };
        if (path.startsWith("/api/")) {
            if (reads && request.getHeader(HttpHeaders.AUTHORIZATION) == null) {
                sessions.find(request).ifPresent(session -> {
                    request.setAttribute(Caller.ATTRIBUTE, session.caller());
                    request.setAttribute(Credential.ATTRIBUTE, session.credential());
                    request.setAttribute(SESSION_READ, Boolean.TRUE);
                });
            }
            chain.doFilter(request, response);
            return;
        }
        Optional<BrowserSessions.Session> session = sessions.find(request);
        session.ifPresent(s -> {
            request.setAttribute(Caller.ATTRIBUTE, s.caller());
            request.setAttribute(Credential.ATTRIBUTE, s.credential());
            request.setAttribute(BrowserSessions.CSRF_ATTRIBUTE, s.csrf());
        });
        if (!reads) {
            if (!sameOrigin(request)) {
                forbidden(response, "This form was sent from another site.");
                return;
            }
            if (!path.equals("/login") && !session.map(s -> s.csrfMatches(csrfSent(request))).orElse(false)) {
                forbidden(response, session.isEmpty() ? "Your session has ended: log in again."
                        : "This form has expired: reload the page and try again.");
                return;
            }
        }
        chain.doFilter(request, response);
    }

    private static String csrfSent(HttpServletRequest request) {
        String header = request.getHeader(CSRF_HEADER);
        return header != null ? header : request.getParameter(CSRF_FIELD);
    }

    /**
     * A browser names the page a form came from in Origin; when it does, it must be this host: the
     * Host header, or the host the request was forwarded for (with server.forward-headers-strategy).
     */
    private static boolean sameOrigin(HttpServletRequest request) {
        String origin = request.getHeader(HttpHeaders.ORIGIN);
        if (origin == null) {
            return true;
        }
        try {
            URI uri = URI.create(origin);
            if (uri.getHost() == null) {
                return false;
            }
            int port = uri.getPort() != -1 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
            String host = request.getHeader(HttpHeaders.HOST);
            return uri.getRawAuthority().equalsIgnoreCase(host)
                    || (uri.getHost().equalsIgnoreCase(request.getServerName()) && port == request.getServerPort());
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static void forbidden(HttpServletResponse response, String message) throws IOException {
        response.setStatus(HttpServletResponse.SC_FORBIDDEN);
        response.setHeader("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
        response.setContentType("text/html;charset=UTF-8");
        response.getOutputStream().write(("<!doctype html><html lang=\"en\"><head><title>Refused · Pollster</title>"
                + "<link rel=\"stylesheet\" href=\"/assets/ui.css\"></head><body><main class=\"narrow\"><h1>Refused</h1><p>" + message
                + "</p><p><a href=\"/\">Back to Pollster</a></p></main></body></html>").getBytes(StandardCharsets.UTF_8));
    }
}
