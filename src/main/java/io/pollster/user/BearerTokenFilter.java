package io.pollster.user;

import java.io.IOException;
import java.time.Duration;

import io.pollster.system.web.ProblemWriter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Lets a {@code /api/v1} request through only with a valid bearer token, and records who the
 * caller is. A plain filter rather than Spring Security: one header, one indexed lookup, nothing
 * else to configure (see docs/decisions.md). Invalid tokens are counted per client address by
 * {@link FailedTokenThrottle}: past its limit, the address gets 429 without a lookup. A web UI
 * session may read (GET) the API with its cookie instead, for the browser's event stream and
 * content links; it never writes through it.
 */
class BearerTokenFilter extends OncePerRequestFilter {

    private static final String SCHEME = "Bearer ";

    private final TokenCheck tokens;

    BearerTokenFilter(TokenCheck tokens) {
        this.tokens = tokens;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null && Boolean.TRUE.equals(request.getAttribute(BrowserSessionFilter.SESSION_READ))
                && ("GET".equals(request.getMethod()) || "HEAD".equals(request.getMethod()))) {
            chain.doFilter(request, response); // a web UI session reading the API with its cookie
            return;
        }
        if (header == null || !header.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            unauthorized(response, "This needs an 'Authorization: Bearer <token>' header");
            return;
        }
        switch (tokens.check(header.substring(SCHEME.length()).strip(), request.getRemoteAddr())) {
            case TokenCheck.Valid valid -> {
                request.setAttribute(Caller.ATTRIBUTE, valid.caller());
                request.setAttribute(Credential.ATTRIBUTE, new Credential(
                        valid.caller().admin() ? Credential.Kind.ADMIN : Credential.Kind.TOKEN, valid.tokenHash()));
                chain.doFilter(request, response);
            }
            case TokenCheck.Throttled throttled -> tooManyFailures(response, throttled.retryIn());
            case TokenCheck.Invalid invalid -> unauthorized(response, "The bearer token is not valid");
        }
    }

    private static void tooManyFailures(HttpServletResponse response, Duration wait) throws IOException {
        long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
        response.setHeader(HttpHeaders.RETRY_AFTER, Long.toString(seconds));
        ProblemWriter.write(response, HttpStatus.TOO_MANY_REQUESTS,
                "Too many invalid tokens from this address; try again in " + seconds + " seconds");
    }

    private static void unauthorized(HttpServletResponse response, String detail) throws IOException {
        response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
        ProblemWriter.write(response, HttpStatus.UNAUTHORIZED, detail);
    }
}
