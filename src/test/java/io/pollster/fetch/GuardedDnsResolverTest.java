package io.pollster.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;

import org.apache.hc.client5.http.DnsResolver;
import org.junit.jupiter.api.Test;

/** The guard on resolved addresses, over a fake resolver: no real name lookups. */
class GuardedDnsResolverTest {

    private static DnsResolver answering(String... literals) {
        return new DnsResolver() {
            @Override
            public InetAddress[] resolve(String host) throws UnknownHostException {
                InetAddress[] addresses = new InetAddress[literals.length];
                for (int i = 0; i < literals.length; i++) {
                    addresses[i] = InetAddress.getByName(literals[i]);
                }
                return addresses;
            }

            @Override
            public String resolveCanonicalHostname(String host) {
                return host;
            }
        };
    }

    @Test
    void refusesANameWhenAnyOfItsAddressesIsForbidden() {
        var resolver = new GuardedDnsResolver(AddressPolicy.defaultPolicy(false), answering("8.8.8.8", "10.0.0.1"));

        assertThatThrownBy(() -> resolver.resolve("rebind.example"))
                .isInstanceOf(RefusedAddressException.class)
                .hasMessage("refused: rebind.example resolves to a private address;"
                        + " set POLLSTER_FETCH_ALLOW_PRIVATE_NETWORKS=true to allow private networks");
    }

    @Test
    void passesANameWhoseAddressesAreAllPublic() throws UnknownHostException {
        var resolver = new GuardedDnsResolver(AddressPolicy.defaultPolicy(false), answering("8.8.8.8", "2606:4700::1111"));

        assertThat(resolver.resolve("public.example")).hasSize(2);
    }

    @Test
    void passesEverythingWhenPrivateNetworksAreAllowed() throws UnknownHostException {
        var resolver = new GuardedDnsResolver(AddressPolicy.defaultPolicy(true), answering("127.0.0.1"));

        assertThat(resolver.resolve("local.example")).hasSize(1);
    }
}
