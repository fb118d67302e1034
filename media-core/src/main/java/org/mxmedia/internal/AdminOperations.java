package org.mxmedia.internal;

import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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
import org.mxmedia.ServerName;
import org.mxmedia.UserId;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.LocalMedia;
import org.mxmedia.spi.MediaStore.RemoteMedia;
import org.mxmedia.spi.UserDirectory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The administrative operations for trusted code; {@link AuthorizedAdmin} puts the host's
 * authorizer in front.
 */
final class AdminOperations implements MediaAdmin {
  private static final Logger log = LoggerFactory.getLogger(AdminOperations.class);
  private static final int PURGE_BATCH = 500;

  private final ServerName serverName;
  private final MediaStore store;
  private final BlobManager blobs;
  private final Clock clock;
  private final UserDirectory users;

  AdminOperations(
      ServerName serverName,
      MediaStore store,
      BlobManager blobs,
      Clock clock,
      UserDirectory users) {
    this.serverName = serverName;
    this.store = store;
    this.blobs = blobs;
    this.clock = clock;
    this.users = users;
  }

  @Override
  public MediaInfo describe(MxcUri uri) {
    if (!uri.serverName().equals(serverName)) {
      return store
          .remoteMedia(uri)
          .map(AdminOperations::info)
          .orElseThrow(() -> MediaException.notFound("No such cached remote media"));
    }
    return store
        .localMedia(uri.mediaId())
        .map(m -> info(uri, m))
        .orElseThrow(() -> MediaException.notFound("No such media"));
  }

  static MediaInfo info(MxcUri uri, LocalMedia m) {
    return new MediaInfo(
        uri,
        m.contentType(),
        m.uploadName(),
        Optional.of(m.uploader()),
        m.size(),
        m.blob().sha256(),
        m.createdAt(),
        m.lastAccessedAt(),
        m.quarantined(),
        m.safeFromQuarantine());
  }

  static MediaInfo info(RemoteMedia m) {
    return new MediaInfo(
        m.uri(),
        m.contentType(),
        m.uploadName(),
        Optional.empty(),
        m.size(),
        m.blob().sha256(),
        m.cachedAt(),
        m.lastAccessedAt(),
        m.quarantined(),
        false);
  }

  @Override
  public boolean quarantine(MxcUri uri) {
    if (!uri.serverName().equals(serverName)) {
      requireFound(store.setRemoteQuarantined(uri, true), "No such cached remote media");
      log.info("Quarantined remote media {}", uri);
      return true;
    }
    LocalMedia media =
        store
            .setQuarantined(localId(uri), true)
            .orElseThrow(() -> MediaException.notFound("No such media"));
    log.info(
        "Quarantine of {}: {}",
        uri,
        media.quarantined() ? "done" : "refused, the media is protected");
    return media.quarantined();
  }

  @Override
  public void unquarantine(MxcUri uri) {
    if (!uri.serverName().equals(serverName)) {
      requireFound(store.setRemoteQuarantined(uri, false), "No such cached remote media");
      return;
    }
    requireFound(store.setQuarantined(localId(uri), false), "No such media");
    log.info("Released {} from quarantine", uri);
  }

  @Override
  public int quarantineByHash(String sha256) {
    int n = store.setQuarantinedByHash(blobKey(sha256), true);
    log.info("Quarantined {} media with hash {}", n, sha256);
    return n;
  }

  @Override
  public int unquarantineByHash(String sha256) {
    int n = store.setQuarantinedByHash(blobKey(sha256), false);
    log.info("Released {} media with hash {} from quarantine", n, sha256);
    return n;
  }

  @Override
  public void protect(MxcUri uri) {
    requireFound(store.setSafeFromQuarantine(localId(uri), true), "No such media");
  }

  @Override
  public void unprotect(MxcUri uri) {
    requireFound(store.setSafeFromQuarantine(localId(uri), false), "No such media");
  }

  @Override
  public void delete(MxcUri uri) {
    if (!uri.serverName().equals(serverName)) {
      RemoteMedia gone =
          store
              .deleteRemoteMedia(uri)
              .orElseThrow(() -> MediaException.notFound("No such cached remote media"));
      log.info("Deleted cached remote media {}", uri);
      blobs.deleteIfUnreferenced(gone.blob());
      return;
    }
    LocalMedia gone =
        store
            .deleteLocalMedia(localId(uri))
            .orElseThrow(() -> MediaException.notFound("No such media"));
    log.info("Deleted media {}", uri);
    blobs.deleteIfUnreferenced(gone.blob());
  }

  @Override
  public MediaUsage usage(UserId user, Instant since) {
    return store.usage(user, since);
  }

  @Override
  public int purgeRemoteMediaAccessedBefore(Instant before) {
    int purged = 0;
    while (true) {
      List<RemoteMedia> batch = store.remoteMediaAccessedBefore(before, PURGE_BATCH);
      if (batch.isEmpty()) {
        break;
      }
      for (RemoteMedia m : batch) {
        Optional<RemoteMedia> gone = store.deleteRemoteMedia(m.uri());
        if (gone.isPresent()) {
          blobs.deleteIfUnreferenced(gone.get().blob());
          purged++;
        }
      }
    }
    log.info("Purged {} cached remote media not accessed since {}", purged, before);
    return purged;
  }

  @Override
  public int purgeExpiredPendingUploads() {
    int n = store.deleteExpiredPending(clock.instant());
    if (n > 0) {
      log.info("Purged {} expired pending uploads", n);
    }
    return n;
  }

  @Override
  public boolean importMedia(MediaImport media, InputStream bytes) {
    boolean local = media.uri().serverName().equals(serverName);
    Optional<MediaInfo> existing = existing(media.uri(), local);
    if (existing.isPresent()) {
      return alreadyHere(existing.get(), media);
    }
    if (local && media.uploader().isEmpty()) {
      throw MediaException.invalidParam("Local media needs its uploader");
    }
    String contentType = ContentHeaders.normalizeContentType(media.contentType());
    Optional<String> uploadName =
        media.uploadName().filter(n -> !n.isEmpty() && ContentHeaders.isAcceptableFileName(n));
    Ingest.Limit limit =
        new Ingest.Limit(
            media.size().orElse(Long.MAX_VALUE),
            MediaException.invalidParam("The bytes are longer than the recorded size"));
    boolean imported =
        blobs.ingest(
            bytes,
            media.size(),
            limit,
            local,
            staged -> {
              if (media.size().isPresent() && staged.size() != media.size().getAsLong()) {
                throw MediaException.invalidParam(
                    "The bytes are "
                        + staged.size()
                        + " long, not the recorded "
                        + media.size().getAsLong());
              }
              if (media.sha256().isPresent()
                  && !media.sha256().get().equalsIgnoreCase(staged.key().sha256())) {
                throw MediaException.invalidParam(
                    "The bytes' SHA-256 is "
                        + staged.key().sha256()
                        + ", not the recorded "
                        + media.sha256().get());
              }
            },
            staged -> {
              boolean inserted =
                  local
                      ? store.insertLocalMedia(
                          new LocalMedia(
                              media.uri().mediaId(),
                              contentType,
                              uploadName,
                              media.uploader().orElseThrow(),
                              staged.size(),
                              staged.key(),
                              media.createdAt(),
                              media.lastAccessedAt(),
                              media.quarantined(),
                              media.safeFromQuarantine()))
                      : store.insertRemoteMedia(
                          new RemoteMedia(
                              media.uri().serverName(),
                              media.uri().mediaId(),
                              contentType,
                              uploadName,
                              staged.size(),
                              staged.key(),
                              media.createdAt(),
                              media.lastAccessedAt(),
                              media.quarantined()));
              return inserted
                  ? BlobManager.Recorded.kept(true)
                  : BlobManager.Recorded.notKept(false);
            });
    if (!imported) {
      // another import of the same URI won the insert
      return alreadyHere(
          existing(media.uri(), local)
              .orElseThrow(
                  () ->
                      MediaException.internal(
                          "Could not import " + media.uri(),
                          new IllegalStateException("the record was neither inserted nor found"))),
          media);
    }
    log.debug("Imported {} ({})", media.uri(), local ? "local" : "remote");
    return true;
  }

  private Optional<MediaInfo> existing(MxcUri uri, boolean local) {
    return local
        ? store.localMedia(uri.mediaId()).map(m -> info(uri, m))
        : store.remoteMedia(uri).map(AdminOperations::info);
  }

  /** False when {@code here} holds the bytes {@code media} describes; 409 when it holds others. */
  private static boolean alreadyHere(MediaInfo here, MediaImport media) {
    boolean sameSize = media.size().isEmpty() || media.size().getAsLong() == here.size();
    boolean sameHash =
        media.sha256().isEmpty() || media.sha256().get().equalsIgnoreCase(here.sha256());
    if (!sameSize || !sameHash) {
      throw new MediaException(
          ErrorCode.M_CANNOT_OVERWRITE_MEDIA, media.uri() + " already names other bytes");
    }
    return false;
  }

  @Override
  public int quarantine(Collection<MxcUri> uris) {
    int changed = 0;
    for (MxcUri uri : List.copyOf(uris)) {
      if (uri.serverName().equals(serverName)) {
        boolean before = store.localMedia(uri.mediaId()).map(LocalMedia::quarantined).orElse(true);
        if (!before
            && store
                .setQuarantined(uri.mediaId(), true)
                .map(LocalMedia::quarantined)
                .orElse(false)) {
          changed++;
        }
      } else {
        boolean before = store.remoteMedia(uri).map(RemoteMedia::quarantined).orElse(true);
        if (!before && store.setRemoteQuarantined(uri, true).isPresent()) {
          changed++;
        }
      }
    }
    log.info("Quarantined {} of {} media listed", changed, uris.size());
    return changed;
  }

  @Override
  public int quarantineMediaOf(UserId user) {
    int n = store.quarantineLocalMediaOf(user);
    log.info("Quarantined {} media uploaded by {}", n, user);
    return n;
  }

  @Override
  public Page<MediaInfo> mediaOf(UserId user, MediaQuery query) {
    requireKnownLocalUser(user);
    Page<LocalMedia> page = store.localMediaOf(user, query);
    return new Page<>(
        page.items().stream().map(m -> info(MxcUri.of(serverName, m.mediaId()), m)).toList(),
        page.offset(),
        page.total());
  }

  @Override
  public List<MediaId> deleteMediaOf(UserId user, MediaQuery query) {
    requireKnownLocalUser(user);
    List<MediaId> deleted = new ArrayList<>();
    for (LocalMedia m : store.localMediaOf(user, query).items()) {
      if (deleteLocal(m.mediaId())) {
        deleted.add(m.mediaId());
      }
    }
    log.info("Deleted {} media uploaded by {}", deleted.size(), user);
    return deleted;
  }

  @Override
  public Deletion deleteLocalMediaAccessedBefore(
      Instant before, long sizeGreaterThan, boolean keepProfiles) {
    if (sizeGreaterThan < 0) {
      throw MediaException.invalidParam("size_gt cannot be negative");
    }
    if (keepProfiles && !users.knowsProfiles()) {
      throw MediaException.invalidParam(
          "This server cannot tell which media are profile or room images, so it cannot keep "
              + "them: ask with keep_profiles=false to delete them too, or protect them first");
    }
    List<MediaId> listed = new ArrayList<>();
    long deleted = 0;
    Optional<MediaId> after = Optional.empty();
    while (true) {
      List<LocalMedia> batch =
          store.localMediaAccessedBefore(before, sizeGreaterThan, after, PURGE_BATCH);
      if (batch.isEmpty()) {
        break;
      }
      after = Optional.of(batch.get(batch.size() - 1).mediaId());
      List<LocalMedia> candidates =
          batch.stream().filter(m -> !m.quarantined() && !m.safeFromQuarantine()).toList();
      Set<MxcUri> kept =
          keepProfiles && !candidates.isEmpty()
              ? users.usedInProfiles(
                  candidates.stream().map(m -> MxcUri.of(serverName, m.mediaId())).toList())
              : Set.of();
      for (LocalMedia m : candidates) {
        if (!kept.contains(MxcUri.of(serverName, m.mediaId())) && deleteLocal(m.mediaId())) {
          deleted++;
          if (listed.size() < Deletion.MAX_LISTED) {
            listed.add(m.mediaId());
          }
        }
      }
      if (batch.size() < PURGE_BATCH) {
        break;
      }
    }
    log.info(
        "Deleted {} local media last accessed before {} and larger than {} bytes (profile images {})",
        deleted,
        before,
        sizeGreaterThan,
        keepProfiles ? "kept" : "included");
    return new Deletion(listed, deleted);
  }

  /**
   * Deletes one local media and then its bytes if nothing else refers to them; false if it was
   * already gone.
   */
  private boolean deleteLocal(MediaId id) {
    Optional<LocalMedia> gone = store.deleteLocalMedia(id);
    gone.ifPresent(m -> blobs.deleteIfUnreferenced(m.blob()));
    return gone.isPresent();
  }

  @Override
  public Page<MxcUri> quarantinedMedia(boolean remote, long offset, int limit) {
    if (offset < 0 || limit < 0 || limit > Page.MAX_LIMIT) {
      throw MediaException.invalidParam(
          "offset must be non-negative and limit between 0 and " + Page.MAX_LIMIT);
    }
    if (remote) {
      return store.quarantinedRemoteMedia(offset, limit);
    }
    Page<MediaId> page = store.quarantinedLocalMedia(offset, limit);
    return new Page<>(
        page.items().stream().map(id -> MxcUri.of(serverName, id)).toList(),
        page.offset(),
        page.total());
  }

  @Override
  public Page<UserMediaStatistics> userMediaStatistics(StatisticsQuery query) {
    Page<UserMediaStatistics> page = store.mediaStatistics(query);
    return new Page<>(
        page.items().stream().map(s -> s.withDisplayName(users.displayName(s.user()))).toList(),
        page.offset(),
        page.total());
  }

  private void requireLocalUser(UserId user) {
    if (!user.serverName().equals(serverName)) {
      throw new MediaException(ErrorCode.M_UNKNOWN, 400, "Can only look up local users");
    }
  }

  private void requireKnownLocalUser(UserId user) {
    requireLocalUser(user);
    if (!users.exists(user)) {
      throw MediaException.notFound("Unknown user");
    }
  }

  /** 404 with {@code message} when the store found nothing to change. */
  private static void requireFound(Optional<?> changed, String message) {
    if (changed.isEmpty()) {
      throw MediaException.notFound(message);
    }
  }

  private MediaId localId(MxcUri uri) {
    if (!uri.serverName().equals(serverName)) {
      throw MediaException.notFound("Not local media: " + uri);
    }
    return uri.mediaId();
  }

  private static BlobKey blobKey(String sha256) {
    try {
      return BlobKey.of(sha256);
    } catch (IllegalArgumentException e) {
      throw MediaException.invalidParam("A media hash is 64 lower-case hex characters");
    }
  }
}
