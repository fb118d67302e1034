package org.mxmedia.internal;

import java.io.InputStream;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import org.mxmedia.MediaAdmin;
import org.mxmedia.MediaAdmin.Deletion;
import org.mxmedia.MediaAdmin.MediaImport;
import org.mxmedia.MediaAdmin.MediaInfo;
import org.mxmedia.MediaAdmin.MediaQuery;
import org.mxmedia.MediaAdmin.MediaUsage;
import org.mxmedia.MediaAdmin.Page;
import org.mxmedia.MediaAdmin.StatisticsQuery;
import org.mxmedia.MediaAdmin.UserMediaStatistics;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaId;
import org.mxmedia.MxcUri;
import org.mxmedia.UserId;
import org.mxmedia.spi.Authorizer;

/**
 * The administrative operations on behalf of a user: made only for an administrator ({@link #of}),
 * and every call asks the host's {@link Authorizer} again (so a revoked admin is refused at once),
 * failing with 403 {@code M_FORBIDDEN} unless the actor is an administrator.
 */
final class AuthorizedAdmin implements MediaAdmin {
  private final MediaAdmin admin;
  private final Authorizer authorizer;
  private final UserId actor;

  private AuthorizedAdmin(MediaAdmin admin, Authorizer authorizer, UserId actor) {
    this.admin = admin;
    this.authorizer = authorizer;
    this.actor = actor;
  }

  /**
   * The operations as {@code actor}; 403 {@code M_FORBIDDEN} at once unless the actor is an
   * administrator.
   */
  static AuthorizedAdmin of(MediaAdmin admin, Authorizer authorizer, UserId actor) {
    AuthorizedAdmin authorized = new AuthorizedAdmin(admin, authorizer, actor);
    authorized.checked();
    return authorized;
  }

  private MediaAdmin checked() {
    if (!authorizer.isAdmin(actor)) {
      throw new MediaException(ErrorCode.M_FORBIDDEN, "You are not a server admin");
    }
    return admin;
  }

  @Override
  public int quarantine(Collection<MxcUri> uris) {
    return checked().quarantine(uris);
  }

  @Override
  public int quarantineMediaOf(UserId user) {
    return checked().quarantineMediaOf(user);
  }

  @Override
  public Page<MediaInfo> mediaOf(UserId user, MediaQuery query) {
    return checked().mediaOf(user, query);
  }

  @Override
  public List<MediaId> deleteMediaOf(UserId user, MediaQuery query) {
    return checked().deleteMediaOf(user, query);
  }

  @Override
  public Deletion deleteLocalMediaAccessedBefore(
      Instant before, long sizeGreaterThan, boolean keepProfiles) {
    return checked().deleteLocalMediaAccessedBefore(before, sizeGreaterThan, keepProfiles);
  }

  @Override
  public Page<MxcUri> quarantinedMedia(boolean remote, long offset, int limit) {
    return checked().quarantinedMedia(remote, offset, limit);
  }

  @Override
  public Page<UserMediaStatistics> userMediaStatistics(StatisticsQuery query) {
    return checked().userMediaStatistics(query);
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
