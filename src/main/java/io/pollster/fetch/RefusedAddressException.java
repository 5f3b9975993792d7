package io.pollster.fetch;

import java.net.UnknownHostException;

/**
 * A host resolved to an address the {@link AddressPolicy} refuses. An {@link UnknownHostException}
 * because that is what a {@link org.apache.hc.client5.http.DnsResolver} may throw; the message is
 * the whole, user-facing refusal.
 */
final class RefusedAddressException extends UnknownHostException {

    RefusedAddressException(String message) {
        super(message);
    }
}
