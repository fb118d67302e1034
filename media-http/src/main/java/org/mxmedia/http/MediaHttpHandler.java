package org.mxmedia.http;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.mxmedia.DownloadOptions;
import org.mxmedia.ErrorCode;
import org.mxmedia.MediaException;
import org.mxmedia.MediaId;
import org.mxmedia.MediaRepository;
import org.mxmedia.MediaResponse;
import org.mxmedia.MxcUri;
import org.mxmedia.PendingUpload;
import org.mxmedia.ServerName;
import org.mxmedia.ThumbnailMethod;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.UploadRequest;
import org.mxmedia.UserId;
import org.mxmedia.http.MediaHttpResponse.Body;
import org.mxmedia.http.MediaHttpResponse.FileRegion;
import org.mxmedia.http.internal.ByteRange;
import org.mxmedia.http.internal.Json;
import org.mxmedia.http.internal.PercentDecoding;
import org.mxmedia.http.internal.QueryParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Matrix media HTTP surface (spec v1.19) over a {@link MediaRepository}: the authenticated
 * client endpoints ({@code /_matrix/client/v1/media/...}), the legacy ones
 * ({@code /_matrix/media/{v3,r0,v1}/...}) and the federation ones
 * ({@code /_matrix/federation/v1/media/...}). Framework-free: an adapter turns its server's
 * request into a {@link MediaHttpRequest}, calls {@link #handle}, and writes the
 * {@link MediaHttpResponse}. {@link JdkHttpServerAdapter} and {@link MediaServlet} are the stock
 * adapters. Thread-safe.
 */
public final class MediaHttpHandler {
  private static final Logger log = LoggerFactory.getLogger(MediaHttpHandler.class);

  /** The {@code Content-Security-Policy} every media response carries. */
  public static final String MEDIA_CSP =
      "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; "
          + "style-src 'unsafe-inline'; object-src 'self';";

  private static final String CLIENT_PREFIX = "/_matrix/client/v1/media/";
  private static final String FEDERATION_PREFIX = "/_matrix/federation/v1/media/";
  private static final List<String> LEGACY_PREFIXES =
      List.of("/_matrix/media/v3/", "/_matrix/media/r0/", "/_matrix/media/v1/");
  private static final String IMMUTABLE = "max-age=31536000, immutable";
  private static final byte[] EMPTY_JSON = "{}".getBytes(StandardCharsets.UTF_8);

  private final MediaRepository repository;
  private final Authenticator authenticator;
  private final Optional<FederationAuthenticator> federationAuthenticator;
  private final Optional<Instant> legacyFreeze;
  private final SecureRandom random = new SecureRandom();

  private MediaHttpHandler(Builder b) {
    this.repository = b.repository;
    this.authenticator = b.authenticator;
    this.federationAuthenticator = Optional.ofNullable(b.federationAuthenticator);
    this.legacyFreeze = b.legacyFreeze;
  }

  /** Starts building a handler for {@code repository}. */
  public static Builder builder(MediaRepository repository) {
    return new Builder(repository);
  }

  /** The repository this handler serves. */
  public MediaRepository repository() {
    return repository;
  }

  /**
   * Answers one request. Never throws: every failure becomes a JSON error response with a
   * Matrix {@code errcode}. The caller writes and then closes the response.
   */
  public MediaHttpResponse handle(MediaHttpRequest request) {
    try {
      return route(request);
    } catch (MediaException e) {
      return error(e);
    } catch (AllowedMethods e) {
      return error(e);
    } catch (RuntimeException e) {
      log.error("Unexpected failure answering {} {}", request.method(), request.rawPath(), e);
      return error(MediaException.internal("Internal server error", e));
    }
  }

  // ---- routing

  private enum Api { CLIENT, LEGACY, FEDERATION }

  private MediaHttpResponse route(MediaHttpRequest request) {
    String method = request.method();
    String path = request.rawPath();
    if (method.equals("OPTIONS")) {
      return new MediaHttpResponse(204, corsHeaders(), emptyBody(), false);
    }
    Api api;
    String rest;
    if (path.startsWith(CLIENT_PREFIX)) {
      api = Api.CLIENT;
      rest = path.substring(CLIENT_PREFIX.length());
    } else if (path.startsWith(FEDERATION_PREFIX)) {
      api = Api.FEDERATION;
      rest = path.substring(FEDERATION_PREFIX.length());
    } else {
      String prefix = LEGACY_PREFIXES.stream().filter(path::startsWith).findFirst().orElse(null);
      if (prefix == null) {
        throw unrecognized();
      }
      api = Api.LEGACY;
      rest = path.substring(prefix.length());
    }
    List<String> segments = Arrays.asList(rest.split("/", -1));
    String endpoint = segments.get(0);
    int args = segments.size() - 1;
    boolean read = method.equals("GET") || method.equals("HEAD");
    QueryParameters query = QueryParameters.parse(request.rawQuery());

    if (api == Api.FEDERATION) {
      if ((endpoint.equals("download") || endpoint.equals("thumbnail")) && args == 1) {
        requireMethod(read, "GET, HEAD, OPTIONS");
        return federationMedia(request, endpoint.equals("thumbnail"), segments.get(1), query);
      }
      throw unrecognized();
    }
    switch (endpoint) {
      case "config" -> {
        if (args == 0) {
          requireMethod(read, "GET, HEAD, OPTIONS");
          requireUser(request, query);
          return json(200, Map.of("m.upload.size", repository.config().maxUploadSize().bytes()), method);
        }
      }
      case "download" -> {
        if (args == 2 || args == 3) {
          requireMethod(read, "GET, HEAD, OPTIONS");
          return media(request, api, segments.subList(1, segments.size()), query, false);
        }
      }
      case "thumbnail" -> {
        if (args == 2) {
          requireMethod(read, "GET, HEAD, OPTIONS");
          return media(request, api, segments.subList(1, segments.size()), query, true);
        }
      }
      case "preview_url" -> {
        if (args == 0) {
          throw new MediaException(ErrorCode.M_UNRECOGNIZED, 404, "URL previews are not enabled on this server");
        }
      }
      case "upload" -> {
        if (api == Api.LEGACY && args == 0) {
          requireMethod(method.equals("POST"), "POST, OPTIONS");
          return upload(request, query);
        }
        if (api == Api.LEGACY && args == 2) {
          requireMethod(method.equals("PUT"), "PUT, OPTIONS");
          return uploadPending(request, query, segments.get(1), segments.get(2));
        }
      }
      case "create" -> {
        if (api == Api.LEGACY && args == 0) {
          requireMethod(method.equals("POST"), "POST, OPTIONS");
          UserId user = requireUser(request, query);
          PendingUpload pending = repository.createPending(user);
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("content_uri", pending.uri().toString());
          body.put("unused_expires_at", pending.expiresAt().toEpochMilli());
          return json(200, body, method);
        }
      }
      default -> { }
    }
    throw unrecognized();
  }

  private static void requireMethod(boolean allowed, String allow) {
    if (!allowed) {
      throw new AllowedMethods(allow);
    }
  }

  /** 405 with the methods a path accepts. */
  private static final class AllowedMethods extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String allow;

    AllowedMethods(String allow) {
      super(null, null, false, false);
      this.allow = allow;
    }
  }

  private static MediaException unrecognized() {
    return new MediaException(ErrorCode.M_UNRECOGNIZED, 404, "Unrecognized request");
  }

  // ---- authentication

  private UserId requireUser(MediaHttpRequest request, QueryParameters query) {
    Optional<String> token = Optional.empty();
    for (String auth : request.headers("Authorization")) {
      if (auth.regionMatches(true, 0, "Bearer ", 0, 7) && auth.length() > 7) {
        token = Optional.of(auth.substring(7).strip());
        break;
      }
    }
    if (token.isEmpty()) {
      token = query.get("access_token").filter(t -> !t.isEmpty());
    }
    if (token.isEmpty()) {
      throw new MediaException(ErrorCode.M_MISSING_TOKEN, 401, "Missing access token");
    }
    return authenticator.authenticate(token.get())
        .orElseThrow(() -> new MediaException(ErrorCode.M_UNKNOWN_TOKEN, 401, "Unrecognised access token"));
  }

  // ---- uploads

  private MediaHttpResponse upload(MediaHttpRequest request, QueryParameters query) {
    UserId user = requireUser(request, query);
    MxcUri uri = repository.upload(user, uploadRequest(request, query), request.body());
    return json(200, Map.of("content_uri", uri.toString()), request.method());
  }

  private MediaHttpResponse uploadPending(MediaHttpRequest request, QueryParameters query, String rawServer, String rawId) {
    UserId user = requireUser(request, query);
    MxcUri uri = mxc(rawServer, rawId);
    repository.uploadPending(uri, user, uploadRequest(request, query), request.body());
    return json(200, Map.of(), request.method());
  }

  private static UploadRequest uploadRequest(MediaHttpRequest request, QueryParameters query) {
    OptionalLong declared = OptionalLong.empty();
    Optional<String> length = request.header("Content-Length");
    if (length.isPresent()) {
      String v = length.get().strip();
      if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw MediaException.invalidParam("Content-Length must be a non-negative integer");
      }
      declared = OptionalLong.of(Long.parseLong(v));
    }
    return new UploadRequest(request.header("Content-Type"), query.get("filename").filter(n -> !n.isEmpty()), declared);
  }

  // ---- downloads and thumbnails

  private MediaHttpResponse media(
      MediaHttpRequest request, Api api, List<String> args, QueryParameters query, boolean thumbnail) {
    if (api == Api.CLIENT) {
      requireUser(request, query);
    }
    MxcUri uri = mxc(args.get(0), args.get(1));
    Optional<String> nameOverride = args.size() == 3
        ? Optional.of(PercentDecoding.decodePathSegment(args.get(2))).filter(n -> !n.isEmpty())
        : Optional.empty();
    DownloadOptions options = downloadOptions(api, query);
    MediaResponse media = thumbnail
        ? repository.thumbnail(uri, thumbnailSpec(query), options)
        : repository.download(uri, options);
    boolean ok = false;
    try {
      if (nameOverride.isPresent()) {
        media = media.withFileName(nameOverride.get());
      }
      MediaHttpResponse response = mediaResponse(request, media, api == Api.CLIENT);
      ok = true;
      return response;
    } finally {
      if (!ok) {
        closeQuietly(media);
      }
    }
  }

  private DownloadOptions downloadOptions(Api api, QueryParameters query) {
    DownloadOptions options = DownloadOptions.defaults();
    if (api == Api.LEGACY) {
      options = options.withAllowRemote(query.bool("allow_remote", true));
      query.bool("allow_redirect", false); // validated; this server never redirects
      if (legacyFreeze.isPresent()) {
        // decided by the repository before any fetch, wait or thumbnail generation
        options = options.withLegacyFreeze(legacyFreeze.get());
      }
    }
    Optional<Long> timeout = query.nonNegativeLong("timeout_ms", Long.MAX_VALUE / 2);
    if (timeout.isPresent()) {
      options = options.withTimeout(Duration.ofMillis(timeout.get()));
    }
    return options;
  }

  private static ThumbnailSpec thumbnailSpec(QueryParameters query) {
    int width = (int) query.requiredPositive("width", ThumbnailSpec.MAX_DIMENSION);
    int height = (int) query.requiredPositive("height", ThumbnailSpec.MAX_DIMENSION);
    ThumbnailMethod method;
    try {
      method = ThumbnailMethod.parse(query.get("method").orElse("scale"));
    } catch (IllegalArgumentException e) {
      throw MediaException.invalidParam("Parameter method must be crop or scale");
    }
    return new ThumbnailSpec(width, height, method, query.bool("animated", false));
  }

  private MediaHttpResponse mediaResponse(MediaHttpRequest request, MediaResponse media, boolean authenticated) {
    Map<String, String> headers = corsHeaders();
    headers.put("Content-Type", media.contentTypeHeader());
    headers.put("Content-Disposition", media.contentDispositionHeader());
    headers.put("Content-Security-Policy", MEDIA_CSP);
    headers.put("Cross-Origin-Resource-Policy", "cross-origin");
    headers.put("X-Content-Type-Options", "nosniff");
    headers.put("Referrer-Policy", "no-referrer");
    headers.put("Cache-Control", (authenticated ? "private, " : "public, ") + IMMUTABLE);
    headers.put("ETag", media.etag());
    headers.put("Accept-Ranges", "bytes");
    boolean head = request.method().equals("HEAD");

    if (matchesIfNoneMatch(request.headers("If-None-Match"), media.sha256())) {
      closeQuietly(media);
      headers.remove("Content-Type");
      headers.remove("Content-Disposition");
      return new MediaHttpResponse(304, headers, emptyBody(), false);
    }
    long length = media.contentLength();
    ByteRange.Result range = ByteRange.parse(request.header("Range"), length);
    Optional<String> ifRange = request.header("If-Range");
    if (ifRange.isPresent() && !ifRange.get().strip().equals(media.etag())) {
      range = new ByteRange.Full();
    }
    if (range instanceof ByteRange.Unsatisfiable) {
      closeQuietly(media);
      headers.put("Content-Range", "bytes */" + length);
      headers.remove("Content-Disposition");
      headers.put("Content-Type", "application/json");
      byte[] body = Json.object(Map.of("errcode", "M_UNKNOWN", "error", "Requested range not satisfiable"));
      return new MediaHttpResponse(416, headers, bytesBody(body), head);
    }
    if (range instanceof ByteRange.Partial partial) {
      ByteRange r = partial.range();
      headers.put("Content-Range", r.contentRange(length));
      return new MediaHttpResponse(206, headers, new MediaBody(media, r.first(), r.length()), head);
    }
    return new MediaHttpResponse(200, headers, new MediaBody(media, 0, length), head);
  }

  private static boolean matchesIfNoneMatch(List<String> headers, String sha256) {
    for (String header : headers) {
      for (String tag : header.split(",")) {
        String t = tag.strip();
        if (t.startsWith("W/")) {
          t = t.substring(2); // If-None-Match uses the weak comparison
        }
        if (t.equals("*") || t.equals("\"" + sha256 + "\"")) {
          return true;
        }
      }
    }
    return false;
  }

  // ---- federation

  private MediaHttpResponse federationMedia(MediaHttpRequest request, boolean thumbnail, String rawId, QueryParameters query) {
    FederationAuthenticator verifier = federationAuthenticator.orElseThrow(
        () -> new MediaException(ErrorCode.M_UNAUTHORIZED, 401, "Federation is not enabled on this server"));
    String target = request.rawPath() + request.rawQuery().map(q -> "?" + q).orElse("");
    ServerName origin = verifier.authenticate(
        new FederationAuthenticator.Request(request.method(), target, request.headers("Authorization")));
    MxcUri uri = MxcUri.of(repository.serverName(), mediaId(PercentDecoding.decodePathSegment(rawId)));
    DownloadOptions options = DownloadOptions.defaults().withAllowRemote(false);
    Optional<Long> timeout = query.nonNegativeLong("timeout_ms", Long.MAX_VALUE / 2);
    if (timeout.isPresent()) {
      options = options.withTimeout(Duration.ofMillis(timeout.get()));
    }
    MediaResponse media = thumbnail ? repository.thumbnail(uri, thumbnailSpec(query), options) : repository.download(uri, options);
    log.debug("Serving {} of {} to {} over federation", thumbnail ? "a thumbnail" : "the content", uri, origin);
    String boundary = HexFormat.of().formatHex(randomBytes(16));
    Map<String, String> headers = corsHeaders();
    headers.put("Content-Type", "multipart/mixed; boundary=" + boundary);
    headers.put("Cache-Control", "no-store");
    return new MediaHttpResponse(200, headers, new MultipartBody(boundary, media), request.method().equals("HEAD"));
  }

  private byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    synchronized (random) {
      random.nextBytes(b);
    }
    return b;
  }

  // ---- identifiers

  private static MxcUri mxc(String rawServer, String rawId) {
    String server = PercentDecoding.decodePathSegment(rawServer);
    if (!ServerName.isValid(server)) {
      throw MediaException.notFound("Not found: invalid server name");
    }
    return MxcUri.of(ServerName.of(server), mediaId(PercentDecoding.decodePathSegment(rawId)));
  }

  private static MediaId mediaId(String id) {
    if (!MediaId.isValid(id)) {
      throw MediaException.notFound("Not found: invalid media id");
    }
    return MediaId.of(id);
  }

  // ---- responses

  private static Map<String, String> corsHeaders() {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Access-Control-Allow-Origin", "*");
    h.put("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS");
    h.put("Access-Control-Allow-Headers", "X-Requested-With, Content-Type, Authorization");
    return h;
  }

  private static MediaHttpResponse json(int status, Map<String, ?> fields, String method) {
    Map<String, String> headers = corsHeaders();
    headers.put("Content-Type", "application/json");
    headers.put("Cache-Control", "no-store");
    byte[] body = fields.isEmpty() ? EMPTY_JSON : Json.object(fields);
    return new MediaHttpResponse(status, headers, bytesBody(body), method.equals("HEAD"));
  }

  /** The JSON error response for {@code e}, with {@code Retry-After} on 429. */
  static MediaHttpResponse error(MediaException e) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("errcode", e.errorCode().name());
    fields.put("error", e.getMessage());
    Map<String, String> headers = corsHeaders();
    headers.put("Content-Type", "application/json");
    headers.put("Cache-Control", "no-store");
    if (e.retryAfter().isPresent()) {
      long ms = e.retryAfter().get().toMillis();
      fields.put("retry_after_ms", ms);
      headers.put("Retry-After", Long.toString(Math.max(1, (ms + 999) / 1000)));
    }
    if (e.httpStatus() == 413) {
      headers.put("Connection", "close"); // the rest of the body is not read
    }
    return new MediaHttpResponse(e.httpStatus(), headers, bytesBody(Json.object(fields)), false);
  }

  private MediaHttpResponse error(AllowedMethods e) {
    MediaHttpResponse base = error(new MediaException(ErrorCode.M_UNRECOGNIZED, 405, "Method not allowed"));
    Map<String, String> headers = new LinkedHashMap<>(base.headers());
    headers.put("Allow", e.allow);
    return new MediaHttpResponse(405, headers, base.body(), false);
  }

  static Body bytesBody(byte[] bytes) {
    return new Body() {
      @Override
      public long length() {
        return bytes.length;
      }

      @Override
      public void writeTo(OutputStream out) throws IOException {
        out.write(bytes);
      }
    };
  }

  private static Body emptyBody() {
    return bytesBody(new byte[0]);
  }

  private static void closeQuietly(MediaResponse media) {
    try {
      media.close();
    } catch (IOException e) {
      log.debug("Could not close media content", e);
    }
  }

  /** Some bytes of a media response. */
  private static final class MediaBody implements Body {
    private final MediaResponse media;
    private final long offset;
    private final long length;

    MediaBody(MediaResponse media, long offset, long length) {
      this.media = media;
      this.offset = offset;
      this.length = length;
    }

    @Override
    public long length() {
      return length;
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
      if (offset == 0 && length == media.contentLength()) {
        media.content().transferTo(out);
        return;
      }
      try (var in = media.content().openStream(offset)) {
        byte[] buffer = new byte[64 * 1024];
        long left = length;
        while (left > 0) {
          int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
          if (n < 0) {
            throw new IOException("media ended early");
          }
          out.write(buffer, 0, n);
          left -= n;
        }
      }
    }

    @Override
    public Optional<FileRegion> fileRegion() {
      return media.content().localPath().map(p -> new FileRegion(p, offset, length));
    }

    @Override
    public void close() throws IOException {
      media.close();
    }
  }

  /** The federation answer: a JSON part ({@code {}}) and the media part. */
  private static final class MultipartBody implements Body {
    private final byte[] head;
    private final byte[] tail;
    private final MediaResponse media;

    MultipartBody(String boundary, MediaResponse media) {
      this.media = media;
      this.head = ("--" + boundary + "\r\n"
              + "Content-Type: application/json\r\n\r\n{}\r\n"
              + "--" + boundary + "\r\n"
              + "Content-Type: " + media.contentTypeHeader() + "\r\n"
              + "Content-Disposition: " + media.contentDispositionHeader() + "\r\n\r\n")
          .getBytes(StandardCharsets.UTF_8);
      this.tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public long length() {
      return head.length + media.contentLength() + tail.length;
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
      out.write(head);
      media.content().transferTo(out);
      out.write(tail);
    }

    @Override
    public void close() throws IOException {
      media.close();
    }
  }

  /** Builds a {@link MediaHttpHandler}. */
  public static final class Builder {
    private final MediaRepository repository;
    private Authenticator authenticator;
    private FederationAuthenticator federationAuthenticator;
    private Optional<Instant> legacyFreeze = Optional.of(Instant.EPOCH);

    private Builder(MediaRepository repository) {
      this.repository = Objects.requireNonNull(repository, "repository");
    }

    /** Resolves access tokens (required). */
    public Builder authenticator(Authenticator authenticator) {
      if (this.authenticator != null) {
        throw new IllegalStateException("authenticator was already set to " + this.authenticator);
      }
      this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
      return this;
    }

    /** Verifies federation requests; without one the federation endpoints answer 401. */
    public Builder federationAuthenticator(FederationAuthenticator authenticator) {
      if (this.federationAuthenticator != null) {
        throw new IllegalStateException("federationAuthenticator was already set");
      }
      this.federationAuthenticator = Objects.requireNonNull(authenticator, "federationAuthenticator");
      return this;
    }

    /**
     * Media created at or after {@code freeze} is served only on the authenticated endpoints; the
     * legacy ones answer 404 for it (the spec's v1.11 freeze). Default: {@link Instant#EPOCH},
     * so all media is frozen; a server migrating from unauthenticated media sets the time of its
     * upgrade.
     */
    public Builder legacyMediaFreeze(Instant freeze) {
      this.legacyFreeze = Optional.of(freeze);
      return this;
    }

    /** Serves all media on the legacy endpoints too (not recommended; for old clients only). */
    public Builder withoutLegacyMediaFreeze() {
      this.legacyFreeze = Optional.empty();
      return this;
    }

    public MediaHttpHandler build() {
      if (authenticator == null) {
        throw new IllegalStateException("authenticator is required");
      }
      return new MediaHttpHandler(this);
    }
  }
}
