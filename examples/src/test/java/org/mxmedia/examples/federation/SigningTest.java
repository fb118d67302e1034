package org.mxmedia.examples.federation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SigningTest {
  @TempDir Path dir;

  private static String canonical(String json) throws Exception {
    return new String(
        CanonicalJson.encode(CanonicalJson.MAPPER.readTree(json)), StandardCharsets.UTF_8);
  }

  @Test
  void canonicalJsonFollowsTheSpecsExamples() throws Exception {
    assertThat(canonical("{}")).isEqualTo("{}");
    assertThat(canonical("{\"one\": 1, \"two\": \"Two\"}"))
        .isEqualTo("{\"one\":1,\"two\":\"Two\"}");
    assertThat(canonical("{\"b\": \"2\", \"a\": \"1\"}")).isEqualTo("{\"a\":\"1\",\"b\":\"2\"}");
    assertThat(
            canonical(
                "{\"auth\":{\"success\":true,\"mxid\":\"@john.doe:example.com\",\"profile\":{\"display_name\":\"John Doe\","
                    + "\"three_pids\":[{\"medium\":\"email\",\"address\":\"john.doe@example.org\"},{\"medium\":\"msisdn\",\"address\":\"123456789\"}]}}}"))
        .isEqualTo(
            "{\"auth\":{\"mxid\":\"@john.doe:example.com\",\"profile\":{\"display_name\":\"John Doe\",\"three_pids\":"
                + "[{\"address\":\"john.doe@example.org\",\"medium\":\"email\"},{\"address\":\"123456789\",\"medium\":\"msisdn\"}]},\"success\":true}}");
    assertThat(canonical("{\"a\": \"日本語\"}")).isEqualTo("{\"a\":\"日本語\"}");
    assertThat(canonical("{\"a\": null}")).isEqualTo("{\"a\":null}");
  }

  @Test
  void aSignatureVerifiesOnlyForTheSignedJsonAndKey() throws Exception {
    SigningKey key = SigningKey.loadOrCreate(dir.resolve("a.key"));
    SigningKey other = SigningKey.loadOrCreate(dir.resolve("b.key"));
    ObjectNode json =
        XMatrix.signedJson("GET", "/_matrix/federation/v1/media/download/abc", "a.test", "b.test");
    String sig = key.sign(json);
    assertThat(sig).doesNotEndWith("=");
    assertThat(SigningKey.verify(key.publicKey, json, sig)).isTrue();
    assertThat(SigningKey.verify(other.publicKey, json, sig)).isFalse();
    JsonNode tampered =
        XMatrix.signedJson("GET", "/_matrix/federation/v1/media/download/abd", "a.test", "b.test");
    assertThat(SigningKey.verify(key.publicKey, tampered, sig)).isFalse();
    assertThat(SigningKey.verify(key.publicKey, json, "not base64!")).isFalse();
  }

  @Test
  void theKeyIsKeptAcrossRestarts() throws Exception {
    SigningKey first = SigningKey.loadOrCreate(dir.resolve("k"));
    SigningKey again = SigningKey.loadOrCreate(dir.resolve("k"));
    assertThat(again.keyId).isEqualTo(first.keyId).startsWith("ed25519:a_");
    assertThat(SigningKey.raw(again.publicKey)).isEqualTo(SigningKey.raw(first.publicKey));
    ObjectNode json = CanonicalJson.MAPPER.createObjectNode().put("x", 1);
    assertThat(SigningKey.verify(first.publicKey, json, again.sign(json))).isTrue();
  }

  @Test
  void xMatrixHeadersRoundTripAndGarbageIsRefused() {
    XMatrix x =
        XMatrix.parse(
                "X-Matrix origin=\"a.test\",destination=\"b.test\",key=\"ed25519:a_1\",sig=\"abc\"")
            .orElseThrow();
    assertThat(x.origin()).isEqualTo("a.test");
    assertThat(x.destination()).contains("b.test");
    assertThat(XMatrix.parse(x.header())).contains(x);
    assertThat(XMatrix.parse("X-Matrix origin=a.test,key=k,sig=s")).isPresent();
    assertThat(XMatrix.parse("Bearer abc")).isEmpty();
    assertThat(XMatrix.parse("X-Matrix origin=\"a.test\"")).isEmpty();
    assertThat(XMatrix.parse("X-Matrix garbage")).isEmpty();
  }
}
