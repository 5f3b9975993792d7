package io.pollster.system.web;

import java.io.IOException;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.RequestPath;
import org.springframework.util.unit.DataSize;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;

/**
 * Caps API request bodies ({@code pollster.api.max-request-size}, default 2MB) so no caller can
 * make the server parse an unbounded document: a larger declared length is refused at once with
 * 413, a chunked body is cut off when it passes the limit. {@code POST /messages} has its own,
 * larger limit ({@code pollster.ingest.max-request-size}), and only it: the request is matched the
 * way Spring MVC routes it (decoded, {@code ;parameters} dropped, the whole path), so no other
 * path that merely ends in {@code /messages}, or disguises itself, gets the larger limit.
 */
@Configuration(proxyBeanMethods = false)
class RequestSizeLimit {

    @Bean
    FilterRegistrationBean<LimitFilter> requestSizeLimitFilter(
            @Value("${pollster.api.max-request-size:2MB}") DataSize api,
            @Value("${pollster.ingest.max-request-size:10MB}") DataSize ingest) {
        FilterRegistrationBean<LimitFilter> registration = new FilterRegistrationBean<>(new LimitFilter(api.toBytes(), ingest.toBytes()));
        registration.addUrlPatterns("/api/*");
        registration.setOrder(-100);
        return registration;
    }

    /** Thrown by a capped body stream; answered 413. */
    static final class TooLargeException extends IOException {
        TooLargeException(long limit) {
            super("The request body is larger than " + limit + " bytes");
        }
    }

    static final class LimitFilter extends OncePerRequestFilter {
        private static final PathPattern INGEST = PathPatternParser.defaultInstance.parse("/api/v1/messages");

        private final long api;
        private final long ingest;

        LimitFilter(long api, long ingest) {
            this.api = api;
            this.ingest = ingest;
        }

        @Override
        protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws ServletException, IOException {
            long limit = isIngest(request) ? ingest : api;
            if (request.getContentLengthLong() > limit) {
                ProblemWriter.write(response, HttpStatus.CONTENT_TOO_LARGE, "The request body is larger than " + limit + " bytes");
                return;
            }
            chain.doFilter(new Capped(request, limit), response);
        }

        /** Whether the request is one that reaches {@code POST /api/v1/messages}: the same matching as the controller's. */
        static boolean isIngest(HttpServletRequest request) {
            if (!HttpMethod.POST.matches(request.getMethod())) {
                return false;
            }
            try {
                return INGEST.matches(RequestPath.parse(request.getRequestURI(), request.getContextPath()).pathWithinApplication());
            } catch (IllegalArgumentException malformed) {
                return false; // an encoding that cannot be decoded is routed nowhere: the smaller limit
            }
        }
    }

    private static final class Capped extends HttpServletRequestWrapper {
        private final long limit;
        private ServletInputStream stream;

        Capped(HttpServletRequest request, long limit) {
            super(request);
            this.limit = limit;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (stream == null) {
                ServletInputStream in = super.getInputStream();
                stream = new ServletInputStream() {
                    private long read;

                    @Override
                    public int read() throws IOException {
                        int b = in.read();
                        if (b >= 0) {
                            count(1);
                        }
                        return b;
                    }

                    @Override
                    public int read(byte[] buffer, int offset, int length) throws IOException {
                        int n = in.read(buffer, offset, length);
                        if (n > 0) {
                            count(n);
                        }
                        return n;
                    }

                    private void count(int n) throws TooLargeException {
                        read += n;
                        if (read > limit) {
                            throw new TooLargeException(limit);
                        }
                    }

                    @Override
                    public boolean isFinished() {
                        return in.isFinished();
                    }

                    @Override
                    public boolean isReady() {
                        return in.isReady();
                    }

                    @Override
                    public void setReadListener(ReadListener listener) {
                        in.setReadListener(listener);
                    }
                };
            }
            return stream;
        }
    }
}
