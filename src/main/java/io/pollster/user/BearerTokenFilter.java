package io.pollster.user;

import java.io.IOException;
import java.util.Optional;

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
 * else to configure (see docs/decisions.md).
 */
class BearerTokenFilter extends OncePerRequestFilter {

    private static final String SCHEME = "Bearer ";

    private final AdminToken adminToken;
    private final UserService users;

    BearerTokenFilter(AdminToken adminToken, UserService users) {
        this.adminToken = adminToken;
        this.users = users;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            unauthorized(response, "This needs an 'Authorization: Bearer <token>' header");
            return;
        }
        String token = header.substring(SCHEME.length()).strip();
        Optional<Caller> caller = authenticate(token);
        if (caller.isEmpty()) {
            unauthorized(response, "The bearer token is not valid");
            return;
        }
        request.setAttribute(Caller.ATTRIBUTE, caller.get());
        chain.doFilter(request, response);
    }

    private Optional<Caller> authenticate(String token) {
        if (token.isEmpty() || token.length() > ApiTokens.MAX_LENGTH) {
            return Optional.empty();
        }
        byte[] hash = ApiTokens.hash(token);
        if (adminToken.matches(hash)) {
            return Optional.of(Caller.ofAdmin());
        }
        return users.authenticate(hash).map(Caller::ofUser);
    }

    private static void unauthorized(HttpServletResponse response, String detail) throws IOException {
        response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
        ProblemWriter.write(response, HttpStatus.UNAUTHORIZED, detail);
    }
}
