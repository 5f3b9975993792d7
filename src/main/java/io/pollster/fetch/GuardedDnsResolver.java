package io.pollster.fetch;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;

/**
 * Resolves a host for the connection manager and refuses it when any of its addresses is one the
 * {@link AddressPolicy} forbids. Checking here, on the addresses the socket will connect to, is
 * what makes the guard hold against DNS tricks, numeric spellings (2130706433, 127.1) and
 * redirects: HttpClient 5 hands every host, IP literals included, to this resolver before it
 * connects.
 */
final class GuardedDnsResolver implements DnsResolver {

    private static final String ADVICE = "set POLLSTER_FETCH_ALLOW_PRIVATE_NETWORKS=true to allow private networks";

    private final AddressPolicy policy;
    private final DnsResolver system;

    GuardedDnsResolver(AddressPolicy policy) {
        this(policy, SystemDefaultDnsResolver.INSTANCE);
    }

    GuardedDnsResolver(AddressPolicy policy, DnsResolver system) {
        this.policy = policy;
        this.system = system;
    }

    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
        InetAddress[] addresses = system.resolve(host);
        // why: all of them, since the client may fall back to any address in the list
        for (InetAddress address : addresses) {
            Optional<String> reason = policy.refusalReason(address);
            if (reason.isPresent()) {
                throw new RefusedAddressException(refusal(host, address, reason.get()));
            }
        }
        return addresses;
    }

    @Override
    public String resolveCanonicalHostname(String host) throws UnknownHostException {
        return system.resolveCanonicalHostname(host);
    }

    static String refusal(String host, InetAddress address, String reason) {
        String name = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        String text = AddressPolicy.text(address);
        boolean literal = name.equalsIgnoreCase(text) || name.equalsIgnoreCase(address.getHostAddress());
        // why: not the address itself — a user must not be able to map internal DNS through error messages
        String what = literal ? name + " is " + reason : name + " resolves to " + reason;
        return "refused: " + what + "; " + ADVICE;
    }
}
