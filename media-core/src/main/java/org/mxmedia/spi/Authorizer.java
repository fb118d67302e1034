package org.mxmedia.spi;

import java.util.Set;
import org.mxmedia.MediaRepository;
import org.mxmedia.UserId;

/** Says who may use the administrative operations ({@link MediaRepository#admin(UserId)}). */
@FunctionalInterface
public interface Authorizer {

  /** Whether {@code user} is a media administrator. */
  boolean isAdmin(UserId user);

  /** Nobody is an administrator: the default. */
  static Authorizer denyAll() {
    return user -> false;
  }

  /** Exactly the listed users are administrators. */
  static Authorizer admins(Set<UserId> admins) {
    Set<UserId> copy = Set.copyOf(admins);
    return copy::contains;
  }
}
