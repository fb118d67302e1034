package org.mxmedia.http;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaRepository;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MediaRepository.MediaResponse;
import org.mxmedia.MediaRepository.PendingUpload;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MediaRepository.UrlPreviewResponse;
import org.mxmedia.MxcUri;
import org.mxmedia.ServerName;
import org.mxmedia.UserId;
import org.mxmedia.http.internal.PercentDecoding;
import org.mxmedia.http.internal.QueryParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Matrix media HTTP surface (spec v1.19) over a {@link MediaRepository}: the authenticated
 * client endpoints ({@code /_matrix/client/v1/media/...}), the legacy ones ({@code
 * /_matrix/media/{v3,r0,v1}/...}), the federation ones ({@code /_matrix/federation/v1/media/...})
 * and the media part of Synapse's admin API ({@code /_synapse/admin/v1/...}, for users the
 * repository's {@code Authorizer} names admins; see the README's "Admin API"). Framework-free: an
 * adapter turns its server's request into a {@link MediaHttpRequest}, calls {@link #handle}, and
 * writes the {@link MediaHttpResponse}. {@link JdkHttpServerAdapter} and {@link MediaServlet} are
 * the stock adapters. Thread-safe.
 *
 * <p>This class routes; the answers are built by package-private parts: {@code AccessTokens}
 * (client authentication), {@code MediaRequests} (URIs, download options and thumbnail sizes parsed
 * once), {@code MediaResponses} (the media response policy: headers, ETag, Range, HEAD), {@code
 * FederationMultipart} (the federation framing) and {@code Responses} (JSON and errors).
 */
public final class MediaHttpHandler {
  private static final Logger log = LoggerFactory.getLogger(MediaHttpHandler.class);

  private static final String CLIENT_PREFIX = "/_matrix/client/v1/media/";
  private static final String FEDERATION_PREFIX = "/_matrix/federation/v1/media/";
  private static final List<String> LEGACY_PREFIXES =
      List.of("/_matrix/media/v3/", "/_matrix/media/r0/", "/_matrix/media/v1/");

  private final MediaRepository repository;
  private final AccessTokens tokens;
  private final Optional<FederationAuthenticator> federationAuthenticator;
  private final Optional<Instant> legacyFreeze;
  private final AdminEndpoints admin;
  private final Optional<IdenticonRenderer> identicons;

  /**
   * Recent identicons, least recently used first out: bounded by count and by each picture's size.
   */
  private final Map<IdenticonKey, byte[]> identiconCache =
      new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<IdenticonKey, byte[]> eldest) {
          return size() > MAX_CACHED_IDENTICONS;
        }
      };

  /** The width and height of an identicon when the request gives none. */
  public static final int DEFAULT_IDENTICON_SIZE = 96;

  /** The largest width or height of an identicon; more is 400 {@code M_INVALID_PARAM}. */
  public static final int MAX_IDENTICON_SIZE = 512;

  private static final int MAX_CACHED_IDENTICONS = 512;
  private static final int MAX_CACHED_IDENTICON_BYTES = 64 * 1024;

  /** The largest {@code ts} accepted (year 9999 in epoch milliseconds, within {@link Instant}). */
  private static final long MAX_TS = 253_402_300_799_999L;

  private MediaHttpHandler(Builder b) {
    this.repository = b.repository;
    this.tokens = new AccessTokens(Objects.requireNonNull(b.authenticator, "authenticator"));
    this.federationAuthenticator = Optional.ofNullable(b.federationAuthenticator);
    this.legacyFreeze = b.legacyFreeze;
    this.admin = new AdminEndpoints(repository, tokens, legacyFreeze);
    this.identicons = Optional.ofNullable(b.identicons);
  }

  /** Starts building a handler for {@code repository}. */
  public static Builder builder(MediaRepository repository) {
    return new Builder(repository);
  }

  /**
   * Answers one request. Never throws: every failure becomes a JSON error response with a Matrix
   * {@code errcode}. The caller writes and then closes the response.
   */
  public MediaHttpResponse handle(MediaHttpRequest request) {
    try {
      return route(request);
    } catch (MediaException e) {
      return Responses.error(e);
    } catch (AllowedMethods e) {
      return Responses.methodNotAllowed(e.allow);
    } catch (AdminEndpoints.MethodNotAllowed e) {
      return Responses.methodNotAllowed(e.allow);
    } catch (RuntimeException e) {
      log.error("Unexpected failure answering {} {}", request.method(), request.rawPath(), e);
      return Responses.error(MediaException.internal("Internal server error", e));
    }
  }

  // ---- routing

  private enum Api {
    CLIENT,
    LEGACY,
    FEDERATION
  }

  private MediaHttpResponse route(MediaHttpRequest request) {
    String method = request.method();
    String path = request.rawPath();
    if (method.equals("OPTIONS")) {
      return new MediaHttpResponse(204, Responses.corsHeaders(), Responses.emptyBody(), false);
    }
    if (path.startsWith(AdminEndpoints.PREFIX)) {
      return admin.handle(
          request,
          path.substring(AdminEndpoints.PREFIX.length()),
          QueryParameters.parse(request.rawQuery()));
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
        throw Responses.unrecognized();
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
      throw Responses.unrecognized();
    }
    switch (endpoint) {
      case "config" -> {
        if (args == 0) {
          requireMethod(read, "GET, HEAD, OPTIONS");
          UserId user = tokens.requireUser(request, query);
          return Responses.json(
              200, Map.of("m.upload.size", repository.maxUploadSize(user).bytes()), method);
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
          requireMethod(read, "GET, HEAD, OPTIONS");
          return previewUrl(request, query);
        }
      }
      case "identicon" -> {
        if (api == Api.LEGACY && args == 1) {
          requireMethod(read, "GET, HEAD, OPTIONS");
          return identicon(request, segments.get(1), query);
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
          UserId user = tokens.requireUser(request, query);
          PendingUpload pending = repository.createPending(user);
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("content_uri", pending.uri().toString());
          body.put("unused_expires_at", pending.expiresAt().toEpochMilli());
          return Responses.json(200, body, method);
        }
      }
      default -> {}
    }
    throw Responses.unrecognized();
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

  // ---- uploads

  private MediaHttpResponse upload(MediaHttpRequest request, QueryParameters query) {
    UserId user = tokens.requireUser(request, query);
    MxcUri uri = repository.upload(user, uploadRequest(request, query), request.body());
    return Responses.json(200, Map.of("content_uri", uri.toString()), request.method());
  }

  private MediaHttpResponse uploadPending(
      MediaHttpRequest request, QueryParameters query, String rawServer, String rawId) {
    UserId user = tokens.requireUser(request, query);
    MxcUri uri = MediaRequests.mxc(rawServer, rawId);
    repository.uploadPending(uri, user, uploadRequest(request, query), request.body());
    return Responses.json(200, Map.of(), request.method());
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
    return new UploadRequest(
        request.header("Content-Type"), query.get("filename").filter(n -> !n.isEmpty()), declared);
  }

  // ---- downloads and thumbnails

  private MediaHttpResponse media(
      MediaHttpRequest request,
      Api api,
      List<String> args,
      QueryParameters query,
      boolean thumbnail) {
    Optional<UserId> requester =
        api == Api.CLIENT ? Optional.of(tokens.requireUser(request, query)) : Optional.empty();
    MxcUri uri = MediaRequests.mxc(args.get(0), args.get(1));
    Optional<String> nameOverride =
        args.size() == 3
            ? Optional.of(PercentDecoding.decodePathSegment(args.get(2))).filter(n -> !n.isEmpty())
            : Optional.empty();
    DownloadOptions options = MediaRequests.downloadOptions(query, api == Api.LEGACY, legacyFreeze);
    if (requester.isPresent()) {
      options =
          options.withRequester(requester.get()); // remote bytes count against the requester's rate
    }
    MediaResponse media =
        thumbnail
            ? repository.thumbnail(uri, MediaRequests.thumbnailSpec(query), options)
            : repository.download(uri, options);
    boolean ok = false;
    try {
      if (nameOverride.isPresent()) {
        media = media.withFileName(nameOverride.get());
      }
      MediaHttpResponse response = MediaResponses.of(request, media, api == Api.CLIENT);
      ok = true;
      return response;
    } finally {
      if (!ok) {
        MediaResponses.closeQuietly(media);
      }
    }
  }

  // ---- URL previews and identicons

  private MediaHttpResponse previewUrl(MediaHttpRequest request, QueryParameters query) {
    UserId user = tokens.requireUser(request, query);
    String url =
        query
            .get("url")
            .filter(u -> !u.isEmpty())
            .orElseThrow(
                () -> new MediaException(ErrorCode.M_MISSING_PARAM, "Missing the url parameter"));
    Optional<Long> ts = query.nonNegativeLong("ts", MAX_TS);
    UrlPreviewResponse preview =
        ts.isPresent()
            ? repository.previewUrl(user, url, Instant.ofEpochMilli(ts.get()))
            : repository.previewUrl(user, url);
    return Responses.json(200, preview.properties(), request.method());
  }

  private MediaHttpResponse identicon(
      MediaHttpRequest request, String rawName, QueryParameters query) {
    IdenticonRenderer renderer = identicons.orElseThrow(Responses::unrecognized);
    String name = PercentDecoding.decodePathSegment(rawName);
    int width = identiconSide(query, "width");
    int height = identiconSide(query, "height");
    IdenticonKey key = new IdenticonKey(name, width, height);
    byte[] png;
    synchronized (identiconCache) {
      png = identiconCache.get(key);
    }
    if (png == null) {
      png = renderer.png(name, width, height);
      if (png.length <= MAX_CACHED_IDENTICON_BYTES) {
        synchronized (identiconCache) {
          identiconCache.put(key, png);
        }
      }
    }
    String etag = "\"" + sha256(png) + "\"";
    Map<String, String> headers = Responses.corsHeaders();
    headers.put("Cache-Control", "public, max-age=86400");
    headers.put("ETag", etag);
    headers.put("X-Content-Type-Options", "nosniff");
    for (String header : request.headers("If-None-Match")) {
      for (String tag : header.split(",")) {
        String t = tag.strip();
        if (t.startsWith("W/")) {
          t = t.substring(2);
        }
        if (t.equals("*") || t.equals(etag)) {
          return new MediaHttpResponse(304, headers, Responses.emptyBody(), false);
        }
      }
    }
    headers.put("Content-Type", "image/png");
    return new MediaHttpResponse(
        200, headers, Responses.bytesBody(png), request.method().equals("HEAD"));
  }

  private static int identiconSide(QueryParameters query, String name) {
    long n = query.nonNegativeLong(name, MAX_IDENTICON_SIZE).orElse((long) DEFAULT_IDENTICON_SIZE);
    if (n < 1) {
      throw MediaException.invalidParam("Parameter " + name + " must be positive");
    }
    return (int) n;
  }

  /** One identicon request, as the cache keys it. */
  private record IdenticonKey(String name, int width, int height) {}

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  // ---- federation

  private MediaHttpResponse federationMedia(
      MediaHttpRequest request, boolean thumbnail, String rawId, QueryParameters query) {
    FederationAuthenticator verifier =
        federationAuthenticator.orElseThrow(
            () ->
                new MediaException(
                    ErrorCode.M_UNAUTHORIZED, 401, "Federation is not enabled on this server"));
    String target = request.rawPath() + request.rawQuery().map(q -> "?" + q).orElse("");
    ServerName origin =
        verifier.authenticate(
            new FederationAuthenticator.Request(
                request.method(), target, request.headers("Authorization")));
    MxcUri uri = MxcUri.of(repository.serverName(), MediaRequests.mediaId(rawId));
    DownloadOptions options =
        MediaRequests.downloadOptions(query, false, Optional.empty()).withAllowRemote(false);
    MediaResponse media =
        thumbnail
            ? repository.thumbnail(uri, MediaRequests.thumbnailSpec(query), options)
            : repository.download(uri, options);
    log.debug(
        "Serving {} of {} to {} over federation",
        thumbnail ? "a thumbnail" : "the content",
        uri,
        origin);
    return FederationMultipart.of(media, request.method().equals("HEAD"));
  }

  /** Builds a {@link MediaHttpHandler}. */
  public static final class Builder {
    private final MediaRepository repository;
    private @Nullable Authenticator authenticator;
    private @Nullable FederationAuthenticator federationAuthenticator;
    private Optional<Instant> legacyFreeze = Optional.of(Instant.EPOCH);
    private @Nullable IdenticonRenderer identicons;

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
      this.federationAuthenticator =
          Objects.requireNonNull(authenticator, "federationAuthenticator");
      return this;
    }

    /**
     * Media created at or after {@code freeze} is served only on the authenticated endpoints; the
     * legacy ones answer 404 for it (the spec's v1.11 freeze). Default: {@link Instant#EPOCH}, so
     * all media is frozen; a server migrating from unauthenticated media sets the time of its
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

    /**
     * Answers {@code GET /_matrix/media/{v3,r0,v1}/identicon/{name}?width=&height=} with {@code
     * renderer}'s pictures (default {@value MediaHttpHandler#DEFAULT_IDENTICON_SIZE} pixels a side,
     * at most {@value MediaHttpHandler#MAX_IDENTICON_SIZE}: more is 400 {@code M_INVALID_PARAM}),
     * with an ETag and a day's public caching. The endpoint needs no access token, as Synapse's
     * did. Without a renderer it answers 404 {@code M_UNRECOGNIZED}.
     */
    public Builder identicons(IdenticonRenderer renderer) {
      if (this.identicons != null) {
        throw new IllegalStateException("identicons was already set to " + this.identicons);
      }
      this.identicons = Objects.requireNonNull(renderer, "identicons");
      return this;
    }

    public MediaHttpHandler build() {
      if (authenticator == null) {
        throw new IllegalStateException("authenticator is required");
      }
      return new MediaHttpHandler(this);
    }
  }

  /**
   * An HTTP request as the binding sees it; adapters implement it over their server's request type.
   */
  public interface MediaHttpRequest {

    /** The method in upper case. */
    String method();

    /** The request path, still percent-encoded, without the query. */
    String rawPath();

    /** The query string, still percent-encoded, if there is one. */
    Optional<String> rawQuery();

    /** Every value of a header, by case-insensitive name. */
    List<String> headers(String name);

    /** The first value of a header. */
    default Optional<String> header(String name) {
      List<String> values = headers(name);
      return values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    /** The request body, streamed from the connection. */
    InputStream body();
  }

  /**
   * What the binding answers: a status, headers, and a body an adapter writes. The adapter must
   * {@link #close()} it after writing (or on failure): closing releases the media it streams.
   */
  public static final class MediaHttpResponse implements Closeable {
    private final int status;
    private final Map<String, String> headers;
    private final Body body;
    private final boolean headOnly;

    /** Header name characters: RFC 9110 token characters. */
    private static final boolean[] TOKEN = new boolean[128];

    static {
      for (char c = 0x21; c < 0x7F; c++) {
        TOKEN[c] = "()<>@,;:\\\"/[]?={}".indexOf(c) < 0;
      }
    }

    /**
     * @throws IllegalArgumentException when a header name is not an RFC 9110 token or a value has a
     *     character outside visible ASCII, space and tab: no value the library emits can split a
     *     header or smuggle bytes an adapter would write unchanged
     */
    MediaHttpResponse(int status, Map<String, String> headers, Body body, boolean headOnly) {
      this(checked(new LinkedHashMap<>(headers)), status, body, headOnly);
    }

    /**
     * Takes {@code checkedHeaders}, every one of which has passed {@link #checkHeader}, without a
     * copy.
     */
    private MediaHttpResponse(
        LinkedHashMap<String, String> checkedHeaders, int status, Body body, boolean headOnly) {
      this.status = status;
      this.headers = Collections.unmodifiableMap(checkedHeaders);
      this.body = Objects.requireNonNull(body, "body");
      this.headOnly = headOnly;
    }

    /**
     * A response over {@code headers}, which the caller hands over (no copy) and of which it has
     * checked every entry with {@link #checkHeader}: for the media answers, whose constant headers
     * are checked once when the class loads.
     */
    static MediaHttpResponse ofCheckedHeaders(
        int status, LinkedHashMap<String, String> headers, Body body, boolean headOnly) {
      return new MediaHttpResponse(headers, status, body, headOnly);
    }

    private static LinkedHashMap<String, String> checked(LinkedHashMap<String, String> headers) {
      headers.forEach(MediaHttpResponse::checkHeader);
      return headers;
    }

    /**
     * @throws IllegalArgumentException when {@code name} is not a token or {@code value} has a
     *     character outside visible ASCII, space and tab
     */
    static void checkHeader(String name, String value) {
      // plain loops: this runs for the varying headers of every response
      boolean nameOk = !name.isEmpty();
      for (int i = 0; i < name.length() && nameOk; i++) {
        char c = name.charAt(i);
        nameOk = c < 0x80 && TOKEN[c];
      }
      if (!nameOk) {
        throw new IllegalArgumentException("not a header name: " + name);
      }
      for (int i = 0; i < value.length(); i++) {
        char c = value.charAt(i);
        if (!((c >= 0x20 && c < 0x7F) || c == '\t')) {
          throw new IllegalArgumentException(
              "header " + name + " has a character outside visible ASCII");
        }
      }
    }

    public int status() {
      return status;
    }

    /**
     * The response headers, in the order to send them; {@code Content-Length} is not among them.
     */
    public Map<String, String> headers() {
      return headers;
    }

    public Body body() {
      return body;
    }

    /**
     * True for an answer to {@code HEAD}: send the headers and {@code Content-Length:
     * body().length()} but no body.
     */
    public boolean headOnly() {
      return headOnly;
    }

    @Override
    public void close() throws IOException {
      body.close();
    }

    /** A response body. */
    public interface Body extends Closeable {

      /** The number of bytes {@link #writeTo} writes, or -1 when not known in advance. */
      long length();

      /** Writes the body to {@code out}, which stays open. */
      void writeTo(OutputStream out) throws IOException;

      /**
       * The region of a local file this body consists of, where there is one, for zero-copy
       * sending.
       */
      default Optional<FileRegion> fileRegion() {
        return Optional.empty();
      }

      @Override
      default void close() throws IOException {}
    }

    /**
     * A byte range of a local file.
     *
     * @param file the file
     * @param offset the first byte
     * @param length the number of bytes
     */
    public record FileRegion(Path file, long offset, long length) {}
  }

  /**
   * Draws identicons for {@code GET /_matrix/media/{v3,r0,v1}/identicon/{name}}: give one to {@link
   * MediaHttpHandler.Builder#identicons} (for example {@code Identicons::png} from {@code
   * media-preview}); without one the endpoint answers 404 {@code M_UNRECOGNIZED}. The handler
   * checks the size, keeps recent pictures, and answers with an ETag and long-lived caching, so an
   * implementation must be a pure function of its arguments: the same bytes for the same request.
   */
  @FunctionalInterface
  public interface IdenticonRenderer {

    /**
     * The identicon of {@code name} as a PNG of exactly {@code width} by {@code height} pixels.
     *
     * @param name any string, empty included (the decoded path segment)
     * @param width pixels, 1 to {@link MediaHttpHandler#MAX_IDENTICON_SIZE}
     * @param height pixels, 1 to {@link MediaHttpHandler#MAX_IDENTICON_SIZE}
     */
    byte[] png(String name, int width, int height);
  }
}
