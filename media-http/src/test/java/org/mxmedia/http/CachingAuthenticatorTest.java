package org.mxmedia.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.UserId;
import org.mxmedia.http.Authenticator.CachingAuthenticator;

class CachingAuthenticatorTest {
  private static final UserId ALICE = UserId.of("@alice:example.org");
  private final Map<String, UserId> sessions = new ConcurrentHashMap<>(Map.of("good", ALICE));
  private final AtomicInteger asked = new AtomicInteger();
  private final AtomicLong nanos = new AtomicLong();
  private final Authenticator host =
      token -> {
        asked.incrementAndGet();
        return Optional.ofNullable(sessions.get(token));
      };
  private final CachingAuthenticator cached =
      CachingAuthenticator.of(host, Duration.ofSeconds(10), 100, nanos::get);

  @Test
  void aKnownTokenIsAskedOncePerTimeToLive() {
    for (int i = 0; i < 20; i++) {
      assertThat(cached.authenticate("good")).contains(ALICE);
    }
    assertThat(asked).hasValue(1);
    nanos.addAndGet(Duration.ofSeconds(10).toNanos());
    assertThat(cached.authenticate("good")).contains(ALICE);
    assertThat(asked).hasValue(2);
  }

  @Test
  void anUnknownTokenIsAskedEveryTime() {
    for (int i = 0; i < 5; i++) {
      assertThat(cached.authenticate("invented" + i)).isEmpty();
      assertThat(cached.authenticate("invented" + i)).isEmpty();
    }
    assertThat(asked).hasValue(10);
  }

  @Test
  void aRevokedTokenIsRefusedAtOnceAfterInvalidate() {
    assertThat(cached.authenticate("good")).contains(ALICE);
    sessions.remove("good");
    assertThat(cached.authenticate("good"))
        .as("revoked in the host, still in its time to live")
        .contains(ALICE);
    cached.invalidate("good");
    assertThat(cached.authenticate("good")).isEmpty();
  }

  @Test
  void anAnswerGivenWhileTheTokenWasRevokedIsNotKept() {
    CachingAuthenticator[] self = new CachingAuthenticator[1];
    Authenticator racing =
        token -> {
          Optional<UserId> answer =
              Optional.ofNullable(sessions.get(token)); // read before the revocation
          sessions.remove(token);
          self[0].invalidate(token); // the host revokes while this answer is on its way
          return answer;
        };
    self[0] = CachingAuthenticator.of(racing, Duration.ofSeconds(10), 100, nanos::get);
    assertThat(self[0].authenticate("good")).contains(ALICE);
    assertThat(self[0].authenticate("good")).isEmpty();
  }

  @Test
  void aFailureOfTheHostIsPassedOnAndNotRemembered() {
    AtomicInteger calls = new AtomicInteger();
    CachingAuthenticator limited =
        CachingAuthenticator.of(
            token -> {
              if (calls.incrementAndGet() == 1) {
                throw MediaException.limitExceeded("slow down", Duration.ofSeconds(1));
              }
              return Optional.of(ALICE);
            },
            Duration.ofSeconds(10),
            100);
    assertThatThrownBy(() -> limited.authenticate("good"))
        .isInstanceOfSatisfying(
            MediaException.class,
            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.M_LIMIT_EXCEEDED));
    assertThat(limited.authenticate("good")).contains(ALICE);
  }

  @Test
  void badSettingsAreRefused() {
    assertThatThrownBy(() -> CachingAuthenticator.of(host, Duration.ZERO, 10))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CachingAuthenticator.of(host, Duration.ofSeconds(1), 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
