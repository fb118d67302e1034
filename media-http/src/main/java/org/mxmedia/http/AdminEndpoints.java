package org.mxmedia.http;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.mxmedia.MediaAdmin;
import org.mxmedia.MediaAdmin.Deletion;
import org.mxmedia.MediaAdmin.MediaInfo;
import org.mxmedia.MediaAdmin.MediaQuery;
import org.mxmedia.MediaAdmin.Page;
import org.mxmedia.MediaAdmin.StatisticsQuery;
import org.mxmedia.MediaAdmin.UserMediaStatistics;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaId;
import org.mxmedia.MediaRepository;
import org.mxmedia.MxcUri;
import org.mxmedia.UserId;
import org.mxmedia.http.MediaHttpHandler.MediaHttpRequest;
import org.mxmedia.http.MediaHttpHandler.MediaHttpResponse;
import org.mxmedia.http.internal.PercentDecoding;
import org.mxmedia.http.internal.QueryParameters;

/**
 * The media part of Synapse's admin API ({@code /_synapse/admin/v1/...}): the same paths,
 * parameters, JSON fields and errors, so Synapse's admin tools work unchanged. Every endpoint
 * authenticates the caller (401 {@code M_MISSING_TOKEN} / {@code M_UNKNOWN_TOKEN}) and then asks
 * the repository's authorizer (403 {@code M_FORBIDDEN}) before it reads any parameter.
 */
final class AdminEndpoints {
  static final String PREFIX = "/_synapse/admin/v1/";

  /** Timestamps below this are seconds by mistake (Synapse's check: December 1970 in ms). */
  private static final long MIN_BEFORE_TS = 30_000_000_000L;

  private static final int DEFAULT_LIMIT = 100;

  private final MediaRepository repository;
  private final AccessTokens tokens;
  private final Optional<Instant> legacyFreeze;

  AdminEndpoints(MediaRepository repository, AccessTokens tokens, Optional<Instant> legacyFreeze) {
    this.repository = repository;
    this.tokens = tokens;
    this.legacyFreeze = legacyFreeze;
  }

  /** A route of the admin API: the methods it accepts and what answers it. */
  private interface Handler {
    MediaHttpResponse answer(MediaAdmin admin, QueryParameters query);
  }

  private record Route(String allow, Handler handler) {}

  /**
   * Answers a request whose path starts with {@link #PREFIX}; {@code rest} is the raw path after
   * it.
   *
   * @throws MediaException 404 {@code M_UNRECOGNIZED} for a path that is not an endpoint
   */
  MediaHttpResponse handle(MediaHttpRequest request, String rest, QueryParameters query) {
    String method = request.method();
    Route route = route(method, rest.split("/", -1));
    if (!List.of(route.allow().split(", ")).contains(method)) {
      throw new MethodNotAllowed(route.allow() + ", OPTIONS");
    }
    UserId caller = tokens.requireUser(request, query);
    MediaAdmin admin = repository.admin(caller); // 403 before any parameter is read
    return route.handler().answer(admin, query);
  }

  /** 405 with the methods the path accepts. */
  static final class MethodNotAllowed extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String allow;

    MethodNotAllowed(String allow) {
      super(null, null, false, false);
      this.allow = allow;
    }
  }

  private Route route(String method, String[] s) {
    int n = s.length;
    if (n == 1 && s[0].equals("purge_media_cache")) {
      return new Route("POST", (admin, q) -> purgeRemote(admin, q));
    }
    if (n == 3 && s[0].equals("statistics") && s[1].equals("users") && s[2].equals("media")) {
      return new Route("GET", this::statistics);
    }
    if (n == 3 && s[0].equals("users") && s[2].equals("media")) {
      return new Route(
          "GET, DELETE",
          (admin, q) ->
              method.equals("DELETE")
                  ? deleteUserMedia(admin, userId(s[1]), q)
                  : userMedia(admin, userId(s[1]), q));
    }
    if (n == 4 && s[0].equals("user") && s[2].equals("media") && s[3].equals("quarantine")) {
      return new Route(
          "POST",
          (admin, q) -> json(Map.of("num_quarantined", admin.quarantineMediaOf(userId(s[1])))));
    }
    if (n < 2 || !s[0].equals("media")) {
      throw Responses.unrecognized();
    }
    if (n == 2 && s[1].equals("quarantined")) {
      return new Route("GET", (admin, q) -> quarantined(admin, q));
    }
    if (n == 2 && s[1].equals("delete")) {
      return new Route("POST", (admin, q) -> deleteOld(admin, q));
    }
    if (n == 4 && (s[1].equals("quarantine") || s[1].equals("unquarantine"))) {
      boolean quarantine = s[1].equals("quarantine");
      return new Route(
          "POST",
          (admin, q) -> {
            MxcUri uri = MediaRequests.mxc(s[2], s[3]);
            if (quarantine) {
              admin.quarantine(uri);
            } else {
              admin.unquarantine(uri);
            }
            return json(Map.of());
          });
    }
    if (n == 3 && method.equals("POST") && (s[1].equals("protect") || s[1].equals("unprotect"))) {
      boolean protect = s[1].equals("protect");
      return new Route(
          "POST",
          (admin, q) -> {
            MxcUri uri = MxcUri.of(repository.serverName(), MediaRequests.mediaId(s[2]));
            if (protect) {
              admin.protect(uri);
            } else {
              admin.unprotect(uri);
            }
            return json(Map.of());
          });
    }
    if (n == 3 && method.equals("POST") && s[2].equals("delete")) {
      // the legacy form of media/delete, which names the server
      return new Route(
          "POST",
          (admin, q) -> {
            if (!PercentDecoding.decodePathSegment(s[1]).equals(repository.serverName().value())) {
              throw new MediaException(ErrorCode.M_UNKNOWN, 400, "Can only delete local media");
            }
            return deleteOld(admin, q);
          });
    }
    if (n == 3) {
      return new Route(
          "GET, DELETE",
          (admin, q) -> {
            MxcUri uri = MediaRequests.mxc(s[1], s[2]);
            return method.equals("DELETE")
                ? deleteOne(admin, uri)
                : json(Map.of("media_info", mediaInfo(admin.describe(uri))));
          });
    }
    throw Responses.unrecognized();
  }

  // ---- single media

  private Map<String, @Nullable Object> mediaInfo(MediaInfo m) {
    boolean remote = m.remote();
    Map<String, @Nullable Object> info = new LinkedHashMap<>();
    info.put("media_origin", remote ? m.uri().serverName().value() : null);
    info.put("user_id", m.uploader().map(UserId::value).orElse(null));
    info.put("media_id", m.uri().mediaId().value());
    info.put("media_type", m.contentType());
    info.put("media_length", m.size());
    info.put("upload_name", m.uploadName().orElse(null));
    info.put("created_ts", m.createdAt().toEpochMilli());
    info.put("filesystem_id", remote ? m.sha256() : null);
    info.put("url_cache", null);
    info.put("last_access_ts", m.lastAccessedAt().toEpochMilli());
    info.put("quarantined_by", quarantinedBy(m.quarantined()));
    info.put(
        "authenticated", legacyFreeze.isPresent() && !m.createdAt().isBefore(legacyFreeze.get()));
    info.put("safe_from_quarantine", remote ? null : m.safeFromQuarantine());
    info.put("sha256", m.sha256());
    return info;
  }

  /**
   * Synapse records which admin quarantined media; this repository keeps only the flag, so a
   * quarantined media names the server itself.
   */
  private @Nullable String quarantinedBy(boolean quarantined) {
    return quarantined ? repository.serverName().value() : null;
  }

  private MediaHttpResponse deleteOne(MediaAdmin admin, MxcUri uri) {
    if (!uri.serverName().equals(repository.serverName())) {
      throw new MediaException(ErrorCode.M_UNKNOWN, 400, "Can only delete local media");
    }
    admin.delete(uri); // 404 for unknown media
    return deleted(List.of(uri.mediaId()));
  }

  private static MediaHttpResponse deleted(List<MediaId> ids) {
    return deleted(ids, ids.size());
  }

  /** Synapse's answer; a bulk deletion lists at most {@link Deletion#MAX_LISTED} of the ids. */
  private static MediaHttpResponse deleted(Deletion deletion) {
    return deleted(deletion.firstIds(), deletion.total());
  }

  private static MediaHttpResponse deleted(List<MediaId> ids, long total) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("deleted_media", ids.stream().map(MediaId::value).toList());
    body.put("total", total);
    return json(body);
  }

  // ---- deletion and purges by time

  private static MediaHttpResponse deleteOld(MediaAdmin admin, QueryParameters q) {
    Instant before = beforeTs(q);
    long sizeGt = q.nonNegativeLong("size_gt", Long.MAX_VALUE / 2).orElse(0L);
    boolean keepProfiles = q.bool("keep_profiles", true);
    return deleted(admin.deleteLocalMediaAccessedBefore(before, sizeGt, keepProfiles));
  }

  private static MediaHttpResponse purgeRemote(MediaAdmin admin, QueryParameters q) {
    Instant before = beforeTs(q);
    return json(Map.of("deleted", admin.purgeRemoteMediaAccessedBefore(before)));
  }

  /** The required {@code before_ts}, in milliseconds; 400 for anything that looks like seconds. */
  private static Instant beforeTs(QueryParameters q) {
    long ts =
        q.nonNegativeLong("before_ts", Long.MAX_VALUE / 2)
            .orElseThrow(
                () ->
                    new MediaException(
                        ErrorCode.M_MISSING_PARAM, "Missing integer query parameter 'before_ts'"));
    if (ts < MIN_BEFORE_TS) {
      throw MediaException.invalidParam(
          "Query parameter before_ts you provided is from the year 1970. "
              + "Double check that you are providing a timestamp in milliseconds.");
    }
    return Instant.ofEpochMilli(ts);
  }

  // ---- a user's media

  private static MediaQuery mediaQuery(QueryParameters q) {
    long from = q.nonNegativeLong("from", Long.MAX_VALUE / 2).orElse(0L);
    int limit = limit(q);
    if (q.get("order_by").isEmpty() && q.get("dir").isEmpty()) {
      return new MediaQuery(
          MediaQuery.Order.CREATED_TS, true, from, limit); // newest first, as Synapse
    }
    MediaQuery.Order order =
        q.get("order_by")
            .map(
                v ->
                    MediaQuery.Order.parse(v)
                        .orElseThrow(
                            () ->
                                mustBeOneOf(
                                    "order_by",
                                    List.of(MediaQuery.Order.values()).stream()
                                        .map(MediaQuery.Order::parameter)
                                        .toList())))
            .orElse(MediaQuery.Order.CREATED_TS);
    return new MediaQuery(order, backwards(q), from, limit);
  }

  private MediaHttpResponse userMedia(MediaAdmin admin, UserId user, QueryParameters q) {
    Page<MediaInfo> page = admin.mediaOf(user, mediaQuery(q));
    List<Map<String, @Nullable Object>> media =
        page.items().stream()
            .map(
                m -> {
                  Map<String, @Nullable Object> item = new LinkedHashMap<>();
                  item.put("created_ts", m.createdAt().toEpochMilli());
                  item.put("last_access_ts", m.lastAccessedAt().toEpochMilli());
                  item.put("media_id", m.uri().mediaId().value());
                  item.put("media_length", m.size());
                  item.put("media_type", m.contentType());
                  item.put("quarantined_by", quarantinedBy(m.quarantined()));
                  item.put("safe_from_quarantine", m.safeFromQuarantine());
                  item.put("upload_name", m.uploadName().orElse(null));
                  return item;
                })
            .toList();
    return paged("media", media, page);
  }

  private static MediaHttpResponse deleteUserMedia(
      MediaAdmin admin, UserId user, QueryParameters q) {
    return deleted(admin.deleteMediaOf(user, mediaQuery(q)));
  }

  // ---- lists

  private static MediaHttpResponse quarantined(MediaAdmin admin, QueryParameters q) {
    String kind =
        q.get("kind")
            .orElseThrow(
                () ->
                    new MediaException(
                        ErrorCode.M_MISSING_PARAM, "Missing string query parameter 'kind'"));
    if (!kind.equals("local") && !kind.equals("remote")) {
      throw mustBeOneOf("kind", List.of("local", "remote"));
    }
    long from = q.nonNegativeLong("from", Long.MAX_VALUE / 2).orElse(0L);
    Page<MxcUri> page = admin.quarantinedMedia(kind.equals("remote"), from, limit(q));
    return paged("media", page.items().stream().map(MxcUri::toString).toList(), page);
  }

  private MediaHttpResponse statistics(MediaAdmin admin, QueryParameters q) {
    StatisticsQuery.Order order =
        q.get("order_by")
            .map(
                v ->
                    StatisticsQuery.Order.parse(v)
                        .orElseThrow(
                            () ->
                                mustBeOneOf(
                                    "order_by",
                                    List.of(StatisticsQuery.Order.values()).stream()
                                        .map(StatisticsQuery.Order::parameter)
                                        .toList())))
            .orElse(StatisticsQuery.Order.USER_ID);
    long from = q.nonNegativeLong("from", Long.MAX_VALUE / 2).orElse(0L);
    int limit = limit(q);
    long fromTs = q.nonNegativeLong("from_ts", Long.MAX_VALUE / 2).orElse(0L);
    Optional<Long> untilTs = q.nonNegativeLong("until_ts", Long.MAX_VALUE / 2);
    if (untilTs.isPresent() && untilTs.get() <= fromTs) {
      throw MediaException.invalidParam("Query parameter until_ts must be greater than from_ts.");
    }
    Optional<String> search = q.get("search_term");
    if (search.isPresent() && search.get().isEmpty()) {
      throw MediaException.invalidParam("Query parameter search_term cannot be an empty string.");
    }
    boolean backwards = backwards(q);
    Page<UserMediaStatistics> page =
        admin.userMediaStatistics(
            new StatisticsQuery(
                order,
                backwards,
                from,
                limit,
                Instant.ofEpochMilli(fromTs),
                untilTs.map(Instant::ofEpochMilli),
                search));
    List<Map<String, @Nullable Object>> users =
        page.items().stream()
            .map(
                u -> {
                  Map<String, @Nullable Object> item = new LinkedHashMap<>();
                  item.put("user_id", u.user().value());
                  item.put("displayname", u.displayName().orElse(null));
                  item.put("media_count", u.mediaCount());
                  item.put("media_length", u.mediaLength());
                  return item;
                })
            .toList();
    return paged("users", users, page);
  }

  /**
   * {@code items} under {@code name}, with {@code total} and, unless this is the last page, {@code
   * next_token}.
   */
  private static MediaHttpResponse paged(String name, List<?> items, Page<?> page) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put(name, items);
    body.put("total", page.total());
    page.nextOffset().ifPresent(next -> body.put("next_token", next));
    return json(body);
  }

  // ---- parameters

  /**
   * {@code limit}: default 100, at most {@link Page#MAX_LIMIT} (larger values are lowered; {@code
   * next_token} continues).
   */
  private static int limit(QueryParameters q) {
    return (int)
        Math.min(
            q.nonNegativeLong("limit", Long.MAX_VALUE / 2).orElse((long) DEFAULT_LIMIT),
            Page.MAX_LIMIT);
  }

  /** {@code dir}: {@code f} (the default) or {@code b}; true for backwards. */
  private static boolean backwards(QueryParameters q) {
    String dir = q.get("dir").orElse("f");
    return switch (dir) {
      case "f" -> false;
      case "b" -> true;
      default -> throw mustBeOneOf("dir", List.of("f", "b"));
    };
  }

  private static MediaException mustBeOneOf(String name, List<String> allowed) {
    return MediaException.invalidParam(
        "Query parameter \"" + name + "\" must be one of [" + String.join(", ", allowed) + "]");
  }

  /** A user id in a raw path segment; 400 {@code M_INVALID_PARAM} when it is not one. */
  private static UserId userId(String raw) {
    String decoded = PercentDecoding.decodePathSegment(raw);
    if (!UserId.isValid(decoded)) {
      throw MediaException.invalidParam("Invalid user ID");
    }
    return UserId.of(decoded);
  }

  private static MediaHttpResponse json(Map<String, ?> body) {
    return Responses.json(200, body, "GET");
  }
}
