package io.pollster.fetch;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

import org.apache.hc.core5.net.URIAuthority;

/**
 * Scheme, host and port of a URL: what "another origin" is measured by. Secret headers never
 * travel to another origin, neither on a redirect nor when a job's URL is changed.
 */
public record Origin(String scheme, String host, int port) {

    /** @throws IllegalArgumentException when the URL's host or port cannot be read */
    public static Origin of(URI url) {
        String scheme = url.getScheme().toLowerCase(Locale.ROOT);
        String host = url.getHost();
        int port = url.getPort();
        if (host == null) {
            // why: java.net.URI leaves the host null for spellings like 127.1; HttpClient parses them like this
            try {
                URIAuthority authority = URIAuthority.create(url.getRawAuthority());
                host = authority.getHostName();
                port = authority.getPort();
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("url has an invalid host or port", e);
            }
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new Origin(scheme, host.toLowerCase(Locale.ROOT), port >= 0 ? port : scheme.equals("https") ? 443 : 80);
    }
}
