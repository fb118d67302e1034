package org.mxmedia.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mxmedia.http.EndpointTest.assertError;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mxmedia.DataSize;
import org.mxmedia.MediaConfig;
import org.mxmedia.UserId;
import org.mxmedia.spi.RateLimiter;
import org.mxmedia.spi.UploadPolicy;

/**
 * The lifecycle's limits over HTTP: 429 with its wait in body and header, per-user /config, spam
 * rejection.
 */
class LimitsEndpointTest {
  HttpTestServer s;

  @AfterEach
  void stop() {
    s.close();
  }

  private HttpResponse<String> upload(String body) throws Exception {
    return s.send(
        s.authed("/_matrix/media/v3/upload")
            .header("Content-Type", "text/plain")
            .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  @Test
  void aRateLimitedUploadIs429WithRetryAfterMsAndRetryAfterInWholeSeconds() throws Exception {
    RateLimiter limiter =
        RateLimiter.leakyBucket(
            Map.of(
                RateLimiter.Action.UPLOAD, new RateLimiter.Rate(0.4, 1),
                RateLimiter.Action.CREATE, new RateLimiter.Rate(0.001, 1)),
            Clock.fixed(Instant.EPOCH, ZoneOffset.UTC));
    s = new HttpTestServer(MediaConfig.defaults(), b -> b, b -> b.rateLimiter(limiter));
    assertThat(upload("first").statusCode()).isEqualTo(200);
    HttpResponse<String> r = upload("second");
    assertError(r, 429, "M_LIMIT_EXCEEDED");
    JsonNode body = SpecSchemas.assertValid("POST", "/_matrix/media/v3/upload", 429, r.body());
    assertThat(body.get("retry_after_ms").asLong()).isEqualTo(2500);
    assertThat(r.headers().firstValue("Retry-After")).hasValue("3");

    assertThat(
            s.send(s.authed("/_matrix/media/v1/create").POST(HttpRequest.BodyPublishers.noBody()))
                .statusCode())
        .isEqualTo(200);
    HttpResponse<String> create =
        s.send(s.authed("/_matrix/media/v1/create").POST(HttpRequest.BodyPublishers.noBody()));
    assertError(create, 429, "M_LIMIT_EXCEEDED");
    assertThat(
            SpecSchemas.assertValid("POST", "/_matrix/media/v1/create", 429, create.body())
                .get("retry_after_ms")
                .asLong())
        .isEqualTo(1_000_000);
    assertThat(create.headers().firstValue("Retry-After")).hasValue("1000");
    // Bob has his own buckets
    HttpResponse<String> bob =
        s.send(
            s.request("/_matrix/media/v3/upload")
                .header("Authorization", "Bearer " + HttpTestServer.BOB_TOKEN)
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("bob")));
    assertThat(bob.statusCode()).isEqualTo(200);
  }

  @Test
  void configReportsEachUsersEffectiveLimit() throws Exception {
    UploadPolicy policy =
        new UploadPolicy() {
          @Override
          public Allowance admit(Attempt attempt) {
            return Allowance.UNLIMITED;
          }

          @Override
          public Optional<DataSize> maxUploadSize(UserId user) {
            return user.equals(HttpTestServer.ALICE)
                ? Optional.of(DataSize.kibibytes(1))
                : Optional.empty();
          }
        };
    s = new HttpTestServer(MediaConfig.defaults(), b -> b, b -> b.uploadPolicy(policy));
    HttpResponse<String> alice = s.send(s.authed("/_matrix/client/v1/media/config"));
    assertThat(
            SpecSchemas.assertValid("GET", "/_matrix/client/v1/media/config", 200, alice.body())
                .get("m.upload.size")
                .asLong())
        .isEqualTo(1024);
    HttpResponse<String> bob =
        s.send(
            s.request("/_matrix/media/v3/config")
                .header("Authorization", "Bearer " + HttpTestServer.BOB_TOKEN));
    assertThat(
            SpecSchemas.assertValid("GET", "/_matrix/media/v3/config", 200, bob.body())
                .get("m.upload.size")
                .asLong())
        .isEqualTo(50L * 1024 * 1024);
    assertError(upload("x".repeat(1025)), 413, "M_TOO_LARGE");
  }

  @Test
  void aSpamRejectionIs400ForbiddenAndStoresNothing() throws Exception {
    s =
        new HttpTestServer(
            MediaConfig.defaults(), b -> b, b -> b.spamChecker(upload -> upload.size() < 5));
    assertThat(upload("ok").statusCode()).isEqualTo(200);
    int blobs = s.storage.size();
    assertError(upload("too spammy"), 400, "M_FORBIDDEN");
    assertThat(s.storage.size()).isEqualTo(blobs);
    assertThat(s.storage.staging()).isZero();
  }
}
