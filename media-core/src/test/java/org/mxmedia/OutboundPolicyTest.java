package org.mxmedia;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OutboundPolicyTest {
  private static final OutboundPolicy DEFAULTS = OutboundPolicy.defaults();

  private static InetAddress ip(String literal) throws UnknownHostException {
    return InetAddress.getByName(literal);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "127.0.0.1",
        "127.255.0.9",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "100.64.0.1",
        "100.127.255.254",
        "169.254.169.254",
        "192.0.0.8",
        "192.0.2.1",
        "198.18.0.1",
        "198.51.100.7",
        "203.0.113.9",
        "192.88.99.1",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "0.0.0.0",
        "0.1.2.3",
        "::",
        "::1",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "2001:db8::1",
        "fec0::1",
        "100::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",
        "64:ff9b::a00:1",
        "2002:7f00:1::1",
        "2002:a9fe:a9fe::",
        "2001:0:4136:e378:8000:63bf:80ff:fffe"
      })
  void theDefaultsBlockInternalAddressesInEveryForm(String literal) throws Exception {
    assertThat(DEFAULTS.permits(ip(literal))).as(literal).isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "1.1.1.1",
        "8.8.8.8",
        "172.32.0.1",
        "100.128.0.1",
        "192.169.0.1",
        "2606:4700::1111",
        "::ffff:8.8.8.8",
        "2002:808:808::1",
        "64:ff9b::808:808"
      })
  void publicAddressesArePermitted(String literal) throws Exception {
    assertThat(DEFAULTS.permits(ip(literal))).as(literal).isTrue();
  }

  @Test
  void theWhitelistCarvesOutOfTheBlacklistButNeverTheUnspecifiedAddresses() throws Exception {
    OutboundPolicy p =
        OutboundPolicy.builder().whitelist(List.of("10.1.0.0/16", "0.0.0.0/0", "::/0")).build();
    assertThat(p.permits(ip("10.1.2.3"))).isTrue();
    assertThat(p.permits(ip("::ffff:10.1.2.3")))
        .as("mapped form of a whitelisted address")
        .isTrue();
    assertThat(p.permits(ip("0.0.0.0"))).isFalse();
    assertThat(p.permits(ip("::"))).isFalse();
  }

  @Test
  void aReplacedBlacklistDropsTheDefaults() throws Exception {
    OutboundPolicy p = OutboundPolicy.builder().blacklist(List.of("203.0.113.0/24")).build();
    assertThat(p.permits(ip("127.0.0.1"))).isTrue();
    assertThat(p.permits(ip("203.0.113.5"))).isFalse();
    assertThat(OutboundPolicy.permitAll().permits(ip("10.0.0.1"))).isTrue();
    assertThat(OutboundPolicy.permitAll().permits(ip("0.0.0.0"))).isFalse();
  }

  @Test
  void aNameIsRefusedWhenAnyOfItsAddressesIsBlocked() throws Exception {
    Map<String, InetAddress[]> dns =
        Map.of(
            "mixed.test", new InetAddress[] {ip("8.8.8.8"), ip("10.0.0.1")},
            "public.test", new InetAddress[] {ip("8.8.8.8")},
            "rebind.test", new InetAddress[] {ip("::ffff:127.0.0.1")});
    OutboundPolicy p =
        OutboundPolicy.builder()
            .resolver(
                host -> {
                  InetAddress[] a = dns.get(host);
                  if (a == null) {
                    throw new UnknownHostException(host);
                  }
                  return a;
                })
            .build();
    assertThat(p.resolve("public.test")).containsExactly(ip("8.8.8.8"));
    assertThatThrownBy(() -> p.resolve("mixed.test"))
        .isInstanceOf(OutboundPolicy.BlockedAddressException.class)
        .hasMessageNotContaining("10.0.0.1");
    assertThatThrownBy(() -> p.resolve("rebind.test"))
        .isInstanceOf(OutboundPolicy.BlockedAddressException.class);
    assertThatThrownBy(() -> p.resolve("nowhere.test"))
        .isInstanceOf(UnknownHostException.class)
        .isNotInstanceOf(OutboundPolicy.BlockedAddressException.class);
  }

  @Test
  void urlsMustBeHttpWithAHostAndNoUserInfo() {
    for (String url :
        List.of(
            "file:///etc/passwd",
            "gopher://8.8.8.8/",
            "http:///nohost",
            "https://user:pw@8.8.8.8/",
            "http://127.0.0.1/",
            "http://[::1]:8080/",
            "http://[::ffff:a9fe:a9fe]/")) {
      assertThatThrownBy(() -> DEFAULTS.check(URI.create(url)))
          .as(url)
          .isInstanceOf(OutboundPolicy.BlockedAddressException.class);
    }
  }

  @Test
  void malformedRangesFailNamingTheEntry() {
    for (String bad :
        List.of("10.0.0.0/33", "10.0.0.1/8", "not-an-ip", "::/129", "10.0.0.0/", "1.2.3.4/x")) {
      assertThatThrownBy(() -> OutboundPolicy.builder().whitelist(List.of(bad)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(bad);
    }
  }
}
