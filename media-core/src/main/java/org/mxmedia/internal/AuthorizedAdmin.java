package org.mxmedia.internal;

import java.io.InputStream;
import java.time.Instant;
import org.mxmedia.ErrorCode;
import org.mxmedia.MediaAdmin;
import org.mxmedia.MediaException;
import org.mxmedia.MediaImport;
import org.mxmedia.MediaInfo;
import org.mxmedia.MediaUsage;
import org.mxmedia.MxcUri;
import org.mxmedia.UserId;
import org.mxmedia.spi.Authorizer;

/**
 * The administrative operations on behalf of a user: every call asks the host's
 * {@link Authorizer} first (so a revoked admin is refused at once) and fails with 403
 * {@code M_FORBIDDEN} unless the actor is an administrator.
 */
final class AuthorizedAdmin implements MediaAdmin {
  private final MediaAdmin admin;
  private final Authorizer authorizer;
  private final UserId actor;

  AuthorizedAdmin(MediaAdmin admin, Authorizer authorizer, UserId actor) {
    this.admin = admin;
    this.authorizer = authorizer;
    this.actor = actor;
  }

  private MediaAdmin checked() {
    if (!authorizer.isAdmin(actor)) {
      throw new MediaException(ErrorCode.M_FORBIDDEN, "You are not a media administrator");
    }
    return admin;
  }

  @Override
  public MediaInfo describe(MxcUri uri) {
    return checked().describe(uri);
  }

  @Override
  public boolean quarantine(MxcUri uri) {
    return checked().quarantine(uri);
  }

  @Override
  public void unquarantine(MxcUri uri) {
    checked().unquarantine(uri);
  }

  @Override
  public int quarantineByHash(String sha256) {
    return checked().quarantineByHash(sha256);
  }

  @Override
  public int unquarantineByHash(String sha256) {
    return checked().unquarantineByHash(sha256);
  }

  @Override
  public void protect(MxcUri uri) {
    checked().protect(uri);
  }

  @Override
  public void unprotect(MxcUri uri) {
    checked().unprotect(uri);
  }

  @Override
  public void delete(MxcUri uri) {
    checked().delete(uri);
  }

  @Override
  public MediaUsage usage(UserId user, Instant since) {
    return checked().usage(user, since);
  }

  @Override
  public int purgeRemoteMediaAccessedBefore(Instant before) {
    return checked().purgeRemoteMediaAccessedBefore(before);
  }

  @Override
  public int purgeExpiredPendingUploads() {
    return checked().purgeExpiredPendingUploads();
  }

  @Override
  public String toString() {
    return "MediaAdmin(as " + actor + ")";
  }

  @Override
  public boolean importMedia(MediaImport media, InputStream bytes) {
    return checked().importMedia(media, bytes);
  }
}
