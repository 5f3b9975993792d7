package io.pollster.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Classifies address literals only: nothing here resolves a name or opens a connection. */
class AddressPolicyTest {

    private final AddressPolicy policy = AddressPolicy.defaultPolicy(false);

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource(delimiter = '|', textBlock = """
            10.0.0.1                | a private address
            172.16.0.1              | a private address
            172.31.255.255          | a private address
            192.168.1.1             | a private address
            169.254.169.254         | a link-local address
            100.64.0.1              | a carrier-grade NAT address
            0.0.0.0                 | an unspecified address
            0.1.2.3                 | an unspecified address
            127.0.0.1               | a loopback address
            127.255.0.9             | a loopback address
            224.0.0.1               | a multicast address
            255.255.255.255         | a broadcast address
            240.0.0.1               | a reserved address
            198.18.0.1              | a benchmarking address
            192.0.2.1               | a documentation address
            ::                      | an unspecified address
            ::1                     | a loopback address
            fe80::1                 | a link-local address
            fec0::1                 | a site-local address
            fc00::1                 | a unique-local address
            fd12::1                 | a unique-local address
            ff02::1                 | a multicast address
            ::ffff:10.0.0.1         | a private address
            ::ffff:169.254.169.254  | a link-local address
            ::7f00:1                | an IPv4-compatible address for 127.0.0.1, a loopback address
            64:ff9b::a00:1          | a NAT64 address for 10.0.0.1, a private address
            64:ff9b::a9fe:a9fe      | a NAT64 address for 169.254.169.254, a link-local address
            64:ff9b:1::1            | a local-use NAT64 address
            2002:a00:1::            | a 6to4 address for 10.0.0.1, a private address
            2001:0:0:0:0:0:80ff:fffe | a Teredo address for 127.0.0.1, a loopback address
            2001:db8::1             | a documentation address
            """)
    void refusesNonPublicAddresses(String literal, String reason) throws UnknownHostException {
        assertThat(policy.refusalReason(InetAddress.getByName(literal))).contains(reason);
    }

    @ParameterizedTest
    @ValueSource(strings = {"8.8.8.8", "1.1.1.1", "2606:4700::1111", "172.32.0.1", "100.128.0.1", "172.15.255.255",
            "192.169.0.1", "64:ff9b::808:808", "2002:808:808::", "2001:4860:4860::8888"})
    void allowsPublicAddresses(String literal) throws UnknownHostException {
        assertThat(policy.refusalReason(InetAddress.getByName(literal))).isEmpty();
    }

    @Test
    void judgesAnIpv4MappedIpv6AddressByItsIpv4Part() throws UnknownHostException {
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 127, 0, 0, 1};
        // why: InetAddress.getByName would turn this into an Inet4Address; a resolver might not
        InetAddress address = Inet6Address.getByAddress(null, mapped, -1);

        assertThat(address).isInstanceOf(Inet6Address.class);
        assertThat(policy.refusalReason(address)).contains("an IPv4-mapped address for 127.0.0.1, a loopback address");
    }

    @Test
    void allowsEverythingWhenPrivateNetworksAreAllowed() throws UnknownHostException {
        AddressPolicy open = AddressPolicy.defaultPolicy(true);

        assertThat(open.refusalReason(InetAddress.getByName("127.0.0.1"))).isEmpty();
        assertThat(open.refusalReason(InetAddress.getByName("169.254.169.254"))).isEmpty();
        assertThat(open.refusalReason(InetAddress.getByName("::1"))).isEmpty();
    }

    @Test
    void allowsExactlyTheExceptionsItIsGiven() throws UnknownHostException {
        AddressPolicy oneException = policy.allowing(InetAddress.getByName("127.0.0.1"));

        assertThat(oneException.refusalReason(InetAddress.getByName("127.0.0.1"))).isEmpty();
        assertThat(oneException.refusalReason(InetAddress.getByName("127.0.0.2"))).contains("a loopback address");
        assertThat(oneException.refusalReason(InetAddress.getByName("::1"))).contains("a loopback address");
    }

    @ParameterizedTest
    @CsvSource({"::1,::1", "::,::", "fe80::1,fe80::1", "64:ff9b::a00:1,64:ff9b::a00:1", "2001:db8:0:0:1:0:0:1,2001:db8::1:0:0:1",
            "2606:4700:0:0:0:0:0:1111,2606:4700::1111", "10.0.0.1,10.0.0.1"})
    void writesAddressesTheWayPeopleDo(String literal, String text) throws UnknownHostException {
        assertThat(AddressPolicy.text(InetAddress.getByName(literal))).isEqualTo(text);
    }
}
