package io.pollster.ui;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import io.pollster.user.Caller;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import jakarta.servlet.http.HttpSession;
import jakarta.servlet.http.Part;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;
import org.springframework.web.servlet.DispatcherServlet;
import org.springframework.web.util.UriComponentsBuilder;
import org.springframework.web.util.UriUtils;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Calls an {@code /api/v1} handler in-process, as the page's caller, and hands back what a client
 * would have got: status, content type and body. The request goes to Spring's dispatcher with a
 * path, body and headers of its own and nothing of the page's request but the caller, and the
 * answer is captured in memory (API answers are bounded: pages by their limit, bodies by
 * max-body-size). The servlet container's forward is not used: it merges the page's parameters
 * and attributes into the call.
 */
@Component
class InProcessApi {

    private final JsonMapper json;
    private final ObjectProvider<DispatcherServlet> dispatcher;

    InProcessApi(JsonMapper json, ObjectProvider<DispatcherServlet> dispatcher) {
        this.json = json;
        this.dispatcher = dispatcher;
    }

    /** A page's parameter for an API call's query: stripped, and absent when blank. */
    static Optional<String> param(String value) {
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.strip());
    }

    Answer get(HttpServletRequest page, String path) {
        return call(page, "GET", path, null);
    }

    Answer send(HttpServletRequest page, String method, String path, JsonNode body) {
        return call(page, method, path, body == null ? null : json.writeValueAsBytes(body));
    }

    private Answer call(HttpServletRequest page, String method, String path, byte[] body) {
        ApiRequest request = new ApiRequest(page, method, path, body);
        HttpServletResponse pageResponse = ((ServletRequestAttributes) RequestContextHolder.currentRequestAttributes()).getResponse();
        Captured response = new Captured(pageResponse);
        try {
            dispatcher.getObject().service(request, response);
        } catch (ServletException | IOException e) {
            throw new IllegalStateException("The API call " + method + " " + path + " failed", e);
        }
        return new Answer(response.status, response.contentType, response.body.toByteArray(), json);
    }

    /** What the API answered. */
    record Answer(int status, String contentType, byte[] body, JsonMapper json) {

        boolean ok() {
            return status >= 200 && status < 300;
        }

        /** This answer, when it is a success; else the page fails with the API's status and message. */
        Answer orFail() {
            if (!ok()) {
                throw PageFailed.of(this);
            }
            return this;
        }

        JsonNode tree() {
            return body.length == 0 ? json.createObjectNode() : json.readTree(body);
        }

        /** The answer as maps and lists, for templates. */
        Object value() {
            return TemplateValues.of(tree());
        }

        /** A problem's detail, or a generic line when the body is not a problem. */
        String problem() {
            if (body.length > 0 && contentType != null && contentType.contains("json")) {
                JsonNode detail = tree().path("detail");
                if (detail.isString()) {
                    return detail.asString();
                }
            }
            return "The request failed (HTTP " + status + ")";
        }

        /** A problem's field errors: field → message. */
        Map<String, String> fieldErrors() {
            Map<String, String> errors = new LinkedHashMap<>();
            if (body.length > 0 && contentType != null && contentType.contains("json")) {
                for (JsonNode error : tree().path("errors")) {
                    errors.merge(error.path("field").asString(""), error.path("message").asString(""), (a, b) -> a + "; " + b);
                }
            }
            return errors;
        }
    }

    /** The API request: its own method, headers and body; of the page's request only the caller. */
    private static final class ApiRequest extends HttpServletRequestWrapper {
        private final String method;
        private final String path;
        private final String query;
        private final byte[] body;
        private final Map<String, Object> attributes = new HashMap<>();
        private final Map<String, String[]> parameters = new LinkedHashMap<>();

        ApiRequest(HttpServletRequest page, String method, String pathAndQuery, byte[] body) {
            super(page);
            this.method = method;
            int mark = pathAndQuery.indexOf('?');
            this.path = mark < 0 ? pathAndQuery : pathAndQuery.substring(0, mark);
            this.query = mark < 0 ? null : pathAndQuery.substring(mark + 1);
            this.body = body == null ? new byte[0] : body;
            Caller.of(page).ifPresent(caller -> attributes.put(Caller.ATTRIBUTE, caller));
            UriComponentsBuilder.fromUriString(pathAndQuery).build(true).getQueryParams().forEach((name, values) ->
                    parameters.put(decode(name), values.stream().map(v -> v == null ? "" : decode(v)).toArray(String[]::new)));
        }

        /** Percent-decoding only: a '+' in a query is a plus (UriComponentsBuilder leaves it unencoded), not a space. */
        private static String decode(String encoded) {
            return UriUtils.decode(encoded, StandardCharsets.UTF_8);
        }

        @Override
        public String getMethod() {
            return method;
        }

        @Override
        public String getRequestURI() {
            return getContextPath() + path;
        }

        @Override
        public StringBuffer getRequestURL() {
            return new StringBuffer(getScheme() + "://" + getServerName() + ":" + getServerPort() + getRequestURI());
        }

        @Override
        public String getServletPath() {
            return path; // the dispatcher is the default servlet ("/"): the whole path
        }

        @Override
        public String getPathInfo() {
            return null;
        }

        @Override
        public String getQueryString() {
            return query;
        }

        @Override
        public DispatcherType getDispatcherType() {
            return DispatcherType.REQUEST;
        }

        // the call completes within the page's request and touches none of its state
        @Override
        public boolean isAsyncSupported() {
            return false;
        }

        @Override
        public AsyncContext startAsync() {
            throw new IllegalStateException("An in-process API call cannot go asynchronous");
        }

        @Override
        public AsyncContext startAsync(ServletRequest request, ServletResponse response) {
            throw new IllegalStateException("An in-process API call cannot go asynchronous");
        }

        @Override
        public HttpSession getSession(boolean create) {
            if (create) {
                throw new IllegalStateException("An in-process API call has no HTTP session");
            }
            return null;
        }

        @Override
        public HttpSession getSession() {
            return getSession(true);
        }

        @Override
        public Cookie[] getCookies() {
            return null;
        }

        @Override
        public Collection<Part> getParts() {
            return List.of();
        }

        @Override
        public Part getPart(String name) {
            return null;
        }

        @Override
        public String getHeader(String name) {
            if (HttpHeaders.CONTENT_TYPE.equalsIgnoreCase(name)) {
                return getContentType();
            }
            if (HttpHeaders.ACCEPT.equalsIgnoreCase(name)) {
                return MediaType.APPLICATION_JSON_VALUE;
            }
            if (HttpHeaders.CONTENT_LENGTH.equalsIgnoreCase(name)) {
                return body.length == 0 ? null : Integer.toString(body.length);
            }
            return null;
        }

        @Override
        public Enumeration<String> getHeaders(String name) {
            String value = getHeader(name);
            return value == null ? Collections.emptyEnumeration() : Collections.enumeration(List.of(value));
        }

        @Override
        public Enumeration<String> getHeaderNames() {
            return Collections.enumeration(body.length == 0 ? List.of(HttpHeaders.ACCEPT)
                    : List.of(HttpHeaders.ACCEPT, HttpHeaders.CONTENT_TYPE, HttpHeaders.CONTENT_LENGTH));
        }

        @Override
        public long getDateHeader(String name) {
            return -1;
        }

        @Override
        public int getIntHeader(String name) {
            String value = getHeader(name);
            return value == null ? -1 : Integer.parseInt(value);
        }

        @Override
        public String getContentType() {
            return body.length == 0 ? null : MediaType.APPLICATION_JSON_VALUE;
        }

        @Override
        public int getContentLength() {
            return body.length;
        }

        @Override
        public long getContentLengthLong() {
            return body.length;
        }

        @Override
        public String getCharacterEncoding() {
            return StandardCharsets.UTF_8.name();
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    return in.read(b, off, len);
                }
            };
        }

        @Override
        public BufferedReader getReader() {
            return new BufferedReader(new InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
        }

        // the call's own query; the page's form fields are not the API call's
        @Override
        public String getParameter(String name) {
            String[] values = parameters.get(name);
            return values == null || values.length == 0 ? null : values[0];
        }

        @Override
        public Map<String, String[]> getParameterMap() {
            return Collections.unmodifiableMap(parameters);
        }

        @Override
        public Enumeration<String> getParameterNames() {
            return Collections.enumeration(parameters.keySet());
        }

        @Override
        public String[] getParameterValues(String name) {
            return parameters.get(name);
        }

        // attributes of its own: the API's dispatch must not overwrite the page's handler state
        @Override
        public Object getAttribute(String name) {
            return attributes.get(name);
        }

        @Override
        public Enumeration<String> getAttributeNames() {
            return Collections.enumeration(List.copyOf(attributes.keySet()));
        }

        @Override
        public void setAttribute(String name, Object value) {
            if (value == null) {
                attributes.remove(name);
            } else {
                attributes.put(name, value);
            }
        }

        @Override
        public void removeAttribute(String name) {
            attributes.remove(name);
        }
    }

    /** The API's answer, kept in memory; nothing reaches the page's response. */
    private static final class Captured extends HttpServletResponseWrapper {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        int status = 200;
        String contentType;
        private PrintWriter writer;

        /** @param page wrapped only as the servlet API asks; every method that would touch it is overridden */
        Captured(HttpServletResponse page) {
            super(page);
        }

        @Override
        public void setStatus(int sc) {
            status = sc;
        }

        @Override
        public int getStatus() {
            return status;
        }

        @Override
        public void sendError(int sc, String msg) {
            status = sc;
        }

        @Override
        public void sendError(int sc) {
            status = sc;
        }

        @Override
        public void sendRedirect(String location) {
            status = 302;
        }

        @Override
        public void setContentType(String type) {
            contentType = type;
        }

        @Override
        public String getContentType() {
            return contentType;
        }

        @Override
        public void setHeader(String name, String value) {
            if (HttpHeaders.CONTENT_TYPE.equalsIgnoreCase(name)) {
                contentType = value;
            }
        }

        @Override
        public void addHeader(String name, String value) {
            setHeader(name, value);
        }

        @Override
        public void addCookie(Cookie cookie) {
        }

        @Override
        public void setIntHeader(String name, int value) {
        }

        @Override
        public void addIntHeader(String name, int value) {
        }

        @Override
        public void setDateHeader(String name, long date) {
        }

        @Override
        public void addDateHeader(String name, long date) {
        }

        @Override
        public boolean containsHeader(String name) {
            return HttpHeaders.CONTENT_TYPE.equalsIgnoreCase(name) && contentType != null;
        }

        @Override
        public String getHeader(String name) {
            return HttpHeaders.CONTENT_TYPE.equalsIgnoreCase(name) ? contentType : null;
        }

        @Override
        public Collection<String> getHeaders(String name) {
            String value = getHeader(name);
            return value == null ? List.of() : List.of(value);
        }

        @Override
        public Collection<String> getHeaderNames() {
            return contentType == null ? List.of() : List.of(HttpHeaders.CONTENT_TYPE);
        }

        @Override
        public void setContentLength(int len) {
        }

        @Override
        public void setContentLengthLong(long len) {
        }

        @Override
        public void setCharacterEncoding(String charset) {
        }

        @Override
        public String getCharacterEncoding() {
            return StandardCharsets.UTF_8.name();
        }

        @Override
        public void setLocale(Locale loc) {
        }

        @Override
        public void setBufferSize(int size) {
        }

        @Override
        public ServletOutputStream getOutputStream() {
            return new ServletOutputStream() {
                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setWriteListener(WriteListener listener) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public void write(int b) {
                    body.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    body.write(b, off, len);
                }
            };
        }

        @Override
        public PrintWriter getWriter() {
            if (writer == null) {
                writer = new PrintWriter(new OutputStreamWriter(getOutputStream(), StandardCharsets.UTF_8), true);
            }
            return writer;
        }

        @Override
        public void flushBuffer() {
            if (writer != null) {
                writer.flush();
            }
        }

        @Override
        public boolean isCommitted() {
            return false;
        }

        @Override
        public void reset() {
            resetBuffer();
            status = 200;
            contentType = null;
        }

        @Override
        public void resetBuffer() {
            if (writer != null) {
                writer.flush();
            }
            body.reset();
        }
    }
}
