package io.pollster.fetch;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Which addresses a fetch may connect to. The default refuses everything that is not public
 * unicast: loopback, unspecified, private (RFC 1918), carrier-grade NAT, link-local (which holds
 * the cloud metadata service at 169.254.169.254), unique-local, site-local, multicast, broadcast
 * and reserved ranges. IPv6 forms that embed an IPv4 address (mapped, compatible, NAT64, 6to4,
 * Teredo) are judged by the IPv4 address they lead to.
 */
public final class AddressPolicy {

    private static final AddressPolicy ALLOW_ALL = new AddressPolicy(false, Set.of());
    private static final AddressPolicy PUBLIC_ONLY = new AddressPolicy(true, Set.of());

    private static final String LOOPBACK = "a loopback address";
    private static final String UNSPECIFIED = "an unspecified address";
    private static final String PRIVATE = "a private address";
    private static final String LINK_LOCAL = "a link-local address";
    private static final String MULTICAST = "a multicast address";
    private static final String RESERVED = "a reserved address";
    private static final String DOCUMENTATION = "a documentation address";

    private static final List<Block> IPV4 = List.of(
            block("0.0.0.0", 8, UNSPECIFIED),
            block("127.0.0.0", 8, LOOPBACK),
            block("10.0.0.0", 8, PRIVATE),
            block("172.16.0.0", 12, PRIVATE),
            block("192.168.0.0", 16, PRIVATE),
            block("100.64.0.0", 10, "a carrier-grade NAT address"),
            block("169.254.0.0", 16, LINK_LOCAL),
            block("192.0.0.0", 24, RESERVED),
            block("198.18.0.0", 15, "a benchmarking address"),
            block("192.0.2.0", 24, DOCUMENTATION),
            block("198.51.100.0", 24, DOCUMENTATION),
            block("203.0.113.0", 24, DOCUMENTATION),
            block("224.0.0.0", 4, MULTICAST),
            block("255.255.255.255", 32, "a broadcast address"),
            block("240.0.0.0", 4, RESERVED));

    private static final List<Block> IPV6 = List.of(
            block("::", 128, UNSPECIFIED),
            block("::1", 128, LOOPBACK),
            block("fe80::", 10, LINK_LOCAL),
            block("fec0::", 10, "a site-local address"),
            block("fc00::", 7, "a unique-local address"),
            block("ff00::", 8, MULTICAST),
            block("100::", 64, RESERVED),
            block("2001:db8::", 32, DOCUMENTATION),
            block("64:ff9b:1::", 48, "a local-use NAT64 address"));

    private static final Block IPV4_COMPATIBLE = block("::", 96, "an IPv4-compatible address");
    private static final Block IPV4_MAPPED = new Block(mappedPrefix(), 96, "an IPv4-mapped address");
    private static final Block NAT64 = block("64:ff9b::", 96, "a NAT64 address");
    private static final Block SIX_TO_FOUR = block("2002::", 16, "a 6to4 address");
    private static final Block TEREDO = block("2001::", 32, "a Teredo address");

    private final boolean guarded;
    private final Set<InetAddress> exceptions;

    private AddressPolicy(boolean guarded, Set<InetAddress> exceptions) {
        this.guarded = guarded;
        this.exceptions = exceptions;
    }

    /** Public addresses only, unless {@code allowPrivateNetworks}, which allows every address. */
    public static AddressPolicy defaultPolicy(boolean allowPrivateNetworks) {
        return allowPrivateNetworks ? ALLOW_ALL : PUBLIC_ONLY;
    }

    /** This policy, but allowing exactly these addresses too. */
    AddressPolicy allowing(InetAddress... addresses) {
        return new AddressPolicy(guarded, Set.copyOf(Arrays.asList(addresses)));
    }

    /** Why a connection to this address is refused, as "a loopback address", or empty when allowed. */
    public Optional<String> refusalReason(InetAddress address) {
        if (!guarded || exceptions.contains(address)) {
            return Optional.empty();
        }
        return Optional.ofNullable(classify(address));
    }

    /** What kind of non-public address this is, or {@code null} for a public unicast one. */
    static String classify(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (address instanceof Inet4Address) {
            return classify(bytes, IPV4);
        }
        String direct = classify(bytes, IPV6);
        if (direct != null) {
            return direct;
        }
        // why: a connection to these lands on (or is routed by) the embedded IPv4 address
        for (Block embedding : List.of(IPV4_MAPPED, IPV4_COMPATIBLE, NAT64)) {
            if (embedding.contains(bytes)) {
                return embedded(embedding, Arrays.copyOfRange(bytes, 12, 16));
            }
        }
        if (SIX_TO_FOUR.contains(bytes)) {
            return embedded(SIX_TO_FOUR, Arrays.copyOfRange(bytes, 2, 6));
        }
        if (TEREDO.contains(bytes)) {
            byte[] client = Arrays.copyOfRange(bytes, 12, 16);
            for (int i = 0; i < client.length; i++) {
                client[i] = (byte) ~client[i];
            }
            return embedded(TEREDO, client);
        }
        return null;
    }

    /** The address as people write it: IPv6 with the longest run of zero groups as "::". */
    static String text(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address.getHostAddress();
        }
        byte[] b = address.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = (b[2 * i] & 0xff) << 8 | b[2 * i + 1] & 0xff;
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        var text = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (!text.isEmpty() && text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString();
    }

    private static String embedded(Block embedding, byte[] ipv4) {
        String reason = classify(ipv4, IPV4);
        if (reason == null) {
            return null;
        }
        try {
            return embedding.description() + " for " + InetAddress.getByAddress(ipv4).getHostAddress() + ", " + reason;
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    private static String classify(byte[] address, List<Block> blocks) {
        for (Block block : blocks) {
            if (block.contains(address)) {
                return block.description();
            }
        }
        return null;
    }

    private static Block block(String network, int prefixLength, String description) {
        try {
            // why: a numeric literal never goes to DNS
            return new Block(InetAddress.getByName(network).getAddress(), prefixLength, description);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an address literal: " + network, e);
        }
    }

    // why: InetAddress turns the literal ::ffff:0:0 into an IPv4 address, so this block is spelled in bytes
    private static byte[] mappedPrefix() {
        byte[] bytes = new byte[16];
        bytes[10] = (byte) 0xff;
        bytes[11] = (byte) 0xff;
        return bytes;
    }

    private record Block(byte[] network, int prefixLength, String description) {

        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = prefixLength / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefixLength % 8;
            if (rest == 0) {
                return true;
            }
            int mask = 0xff << (8 - rest) & 0xff;
            return (address[full] & mask) == (network[full] & mask);
        }
    }
}
