package org.mxmedia.spi;

import java.security.SecureRandom;
import java.util.random.RandomGenerator;
import org.mxmedia.MediaId;

/** Chooses the ids of new media. */
@FunctionalInterface
public interface MediaIdGenerator {

  /** A new media id; the engine retries with another if it is already taken. */
  MediaId next();

  /** Synapse's ids: 24 random ASCII letters from a {@link SecureRandom}. */
  static MediaIdGenerator secureRandom() {
    return randomLetters(new SecureRandom(), 24);
  }

  /**
   * {@code length} random ASCII letters from {@code random} (a seeded one makes tests
   * deterministic).
   */
  static MediaIdGenerator randomLetters(RandomGenerator random, int length) {
    if (length < 1 || length > MediaId.MAX_LENGTH) {
      throw new IllegalArgumentException("length must be 1.." + MediaId.MAX_LENGTH + ": " + length);
    }
    String letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    return () -> {
      char[] id = new char[length];
      synchronized (random) {
        for (int i = 0; i < length; i++) {
          id[i] = letters.charAt(random.nextInt(letters.length()));
        }
      }
      return new MediaId(new String(id));
    };
  }
}
