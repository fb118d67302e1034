package org.mxmedia.spi;

import java.util.Collection;
import java.util.Optional;
import java.util.Set;
import org.mxmedia.MxcUri;
import org.mxmedia.UserId;

/**
 * What the admin operations need to know of the host's users, which the media repository does not
 * keep: whether an account exists, its display name, and which media its profiles and rooms use as
 * avatars. Every method has a default, so a host implements only what it knows; the defaults make
 * every local user known, give no names and protect no media from deletion.
 *
 * <p>Called from request threads; implementations must be thread-safe and answer promptly (an
 * unchecked exception becomes a logged 500 {@code M_UNKNOWN}).
 */
public interface UserDirectory {

  /**
   * Whether {@code user}, a user of this server, has an account. The admin API answers 404 {@code
   * M_NOT_FOUND} ("Unknown user") for the media of a user who has none. Default: true.
   */
  default boolean exists(UserId user) {
    return true;
  }

  /** The display name of {@code user}, if the host knows one. Default: empty. */
  default Optional<String> displayName(UserId user) {
    return Optional.empty();
  }

  /**
   * Whether {@link #usedInProfiles} really knows the profile and room images. Default: false, and
   * then a deletion of old media asked to keep profile images ({@code keep_profiles=true},
   * Synapse's default) is refused with 400 {@code M_INVALID_PARAM} before anything is deleted,
   * rather than deleting every avatar it cannot tell apart.
   */
  default boolean knowsProfiles() {
    return false;
  }

  /**
   * Which of {@code candidates} (local media) are in use as an image of a profile or a room (user
   * avatars, per-room avatars, room avatars): the deletion of old media with {@code
   * keep_profiles=true} keeps them. Called with at most 500 candidates at a time. Default: none
   * (and {@link #knowsProfiles} false, so such a deletion is refused).
   *
   * @return a subset of {@code candidates}
   */
  default Set<MxcUri> usedInProfiles(Collection<MxcUri> candidates) {
    return Set.of();
  }

  /** The defaults: every user exists, nobody has a name, no media is a profile image. */
  static UserDirectory none() {
    return new UserDirectory() {
      @Override
      public String toString() {
        return "UserDirectory.none()";
      }
    };
  }
}
