package org.mxmedia.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mxmedia.MediaId;
import org.mxmedia.MediaRepository;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MxcUri;
import org.mxmedia.ServerName;
import org.mxmedia.UserId;
import org.mxmedia.http.MediaHttpHandler.MediaHttpRequest;
import org.mxmedia.http.MediaHttpHandler.MediaHttpResponse;
import org.mxmedia.spi.Authorizer;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.RemoteMedia;
import org.mxmedia.spi.UserDirectory;

/**
 * The media part of Synapse's admin API: each endpoint's JSON against Synapse's documented shape
 * (field names and types), paging, authorization, parameters and deletion of bytes.
 */
class AdminApiTest {
  static final String ADMIN_API = "/_synapse/admin/v1";
  static final UserId ADMIN = UserId.of("@admin:example.org");
  static final UserId ALICE = UserId.of("@alice:example.org");
  static final UserId BOB = UserId.of("@bob:example.org");
  static final UserId GHOST = UserId.of("@ghost:example.org");

  final CountingStorage storage = new CountingStorage();
  final MediaStore store = MediaStore.inMemory();
  final Set<MxcUri> profileImages = ConcurrentHashMap.newKeySet();
  MediaRepository repository;
  MediaHttpHandler handler;

  @BeforeEach
  void start() {
    UserDirectory directory =
        new UserDirectory() {
          @Override
          public boolean exists(UserId user) {
            return !user.equals(GHOST);
          }

          @Override
          public Optional<String> displayName(UserId user) {
            return user.equals(ALICE) ? Optional.of("Alice") : Optional.empty();
          }

          @Override
          public boolean knowsProfiles() {
            return true;
          }

          @Override
          public Set<MxcUri> usedInProfiles(Collection<MxcUri> candidates) {
            Set<MxcUri> used = new HashSet<>(candidates);
            used.retainAll(profileImages);
            return used;
          }
        };
    repository =
        MediaRepository.builder()
            .serverName("example.org")
            .mediaStore(store)
            .storage(storage)
            .authorizer(Authorizer.admins(Set.of(ADMIN)))
            .userDirectory(directory)
            .build();
    handler =
        MediaHttpHandler.builder(repository)
            .authenticator(Authenticator.tokens(Map.of("admin", ADMIN, "alice", ALICE, "bob", BOB)))
            .build();
  }

  @AfterEach
  void stop() {
    repository.close();
  }

  record Answer(int status, JsonNode json, String raw) {
    Answer assertStatus(int expected) {
      assertThat(status).as(raw).isEqualTo(expected);
      return this;
    }

    void assertError(int expected, String errcode) {
      assertStatus(expected);
      assertThat(json.path("errcode").asText()).as(raw).isEqualTo(errcode);
      assertThat(json.path("error").isTextual()).isTrue();
    }
  }

  Answer call(String method, String pathAndQuery, String token) {
    int q = pathAndQuery.indexOf('?');
    String path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
    Optional<String> query = q < 0 ? Optional.empty() : Optional.of(pathAndQuery.substring(q + 1));
    try (MediaHttpResponse r =
        handler.handle(
            new MediaHttpRequest() {
              @Override
              public String method() {
                return method;
              }

              @Override
              public String rawPath() {
                return path;
              }

              @Override
              public Optional<String> rawQuery() {
                return query;
              }

              @Override
              public List<String> headers(String name) {
                return name.equals("Authorization") && token != null
                    ? List.of("Bearer " + token)
                    : List.of();
              }

              @Override
              public InputStream body() {
                return new ByteArrayInputStream("{}".getBytes(StandardCharsets.UTF_8));
              }
            })) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      r.body().writeTo(out);
      String raw = out.toString(StandardCharsets.UTF_8);
      if (!"application/json".equals(r.headers().get("Content-Type"))) {
        assertThat(path).as("every admin answer is JSON").doesNotStartWith(ADMIN_API);
        return new Answer(r.status(), SpecSchemas.parse("{}"), raw);
      }
      return new Answer(r.status(), SpecSchemas.parse(raw), raw);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  Answer admin(String method, String pathAndQuery) {
    return call(method, ADMIN_API + pathAndQuery, "admin");
  }

  MxcUri upload(UserId user, String content, String name) {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    return repository.upload(
        user,
        new UploadRequest(
            Optional.of("text/plain"), Optional.ofNullable(name), OptionalLong.of(bytes.length)),
        new ByteArrayInputStream(bytes));
  }

  /** Caches a remote media record (no bytes: the admin API reads metadata only). */
  RemoteMedia cacheRemote(String server, String id, int n, Instant at) {
    BlobKey blob = BlobKey.of(String.format("%064x", n));
    assertThat(store.reserveBlob(blob)).isEqualTo(MediaStore.Reservation.RESERVED);
    RemoteMedia r =
        RemoteMedia.cached(
            ServerName.of(server),
            MediaId.of(id),
            "image/png",
            Optional.of("remote.png"),
            67,
            blob,
            at);
    assertThat(store.insertRemoteMedia(r)).isTrue();
    return r;
  }

  static String path(MxcUri uri) {
    return uri.serverName().value() + "/" + uri.mediaId().value();
  }

  static final String STRING = "string";
  static final String INTEGER = "integer";
  static final String BOOLEAN = "boolean";
  static final String NULL = "null";

  /** Asserts {@code node} has exactly these fields, each of one of the listed JSON types. */
  static void assertShape(JsonNode node, Map<String, List<String>> fields) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    assertThat(names).as(node.toString()).containsExactlyInAnyOrderElementsOf(fields.keySet());
    fields.forEach(
        (name, types) -> assertThat(types).as(name + " in " + node).contains(type(node.get(name))));
  }

  static String type(JsonNode v) {
    if (v.getNodeType() == JsonNodeType.NUMBER) {
      return v.isIntegralNumber() ? INTEGER : "number";
    }
    return switch (v.getNodeType()) {
      case STRING -> STRING;
      case BOOLEAN -> BOOLEAN;
      case NULL -> NULL;
      default -> v.getNodeType().name().toLowerCase();
    };
  }

  static Map<String, List<String>> shape(Object... pairs) {
    Map<String, List<String>> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      @SuppressWarnings("unchecked")
      List<String> types =
          pairs[i + 1] instanceof List<?> l ? (List<String>) l : List.of((String) pairs[i + 1]);
      m.put((String) pairs[i], types);
    }
    return m;
  }

  static final Map<String, List<String>> USER_MEDIA_ITEM =
      shape(
          "created_ts",
          INTEGER,
          "last_access_ts",
          List.of(INTEGER, NULL),
          "media_id",
          STRING,
          "media_length",
          INTEGER,
          "media_type",
          STRING,
          "quarantined_by",
          List.of(STRING, NULL),
          "safe_from_quarantine",
          BOOLEAN,
          "upload_name",
          List.of(STRING, NULL));

  // ---- authorization

  /** Every endpoint, as (method, path) with real media in it. */
  List<String[]> everyEndpoint() {
    MxcUri a = upload(ALICE, "a", "a.txt");
    MxcUri b = upload(ALICE, "b", "b.txt");
    long future = Instant.now().plusSeconds(3600).toEpochMilli();
    return List.of(
        new String[] {"GET", "/media/" + path(a)},
        new String[] {"POST", "/media/quarantine/" + path(a)},
        new String[] {"POST", "/media/unquarantine/" + path(a)},
        new String[] {"POST", "/media/protect/" + a.mediaId().value()},
        new String[] {"POST", "/media/unprotect/" + a.mediaId().value()},
        new String[] {"POST", "/user/%40alice%3Aexample.org/media/quarantine"},
        new String[] {"GET", "/media/quarantined?kind=local"},
        new String[] {"GET", "/users/%40alice%3Aexample.org/media"},
        new String[] {"GET", "/statistics/users/media"},
        new String[] {"POST", "/purge_media_cache?before_ts=" + future},
        new String[] {"POST", "/media/delete?before_ts=40000000000"},
        new String[] {"POST", "/media/example.org/delete?before_ts=40000000000"},
        new String[] {"DELETE", "/users/%40bob%3Aexample.org/media"},
        new String[] {"DELETE", "/media/" + path(b)});
  }

  @Test
  void everyEndpointIs401WithoutAToken401ForABadOne403ForAUserAnd200ForAnAdmin() {
    List<String[]> endpoints = everyEndpoint();
    for (String[] e : endpoints) {
      call(e[0], ADMIN_API + e[1], null).assertError(401, "M_MISSING_TOKEN");
      call(e[0], ADMIN_API + e[1], "nope").assertError(401, "M_UNKNOWN_TOKEN");
      Answer forbidden = call(e[0], ADMIN_API + e[1], "alice");
      forbidden.assertError(403, "M_FORBIDDEN");
      assertThat(forbidden.json().get("error").asText()).isEqualTo("You are not a server admin");
    }
    assertThat(storage.size()).as("nothing deleted by refused calls").isEqualTo(2);
    for (String[] e : endpoints) {
      admin(e[0], e[1]).assertStatus(200);
    }
    assertThat(storage.size()).as("the last call deleted b").isEqualTo(1);
  }

  @Test
  void aUserIsRefusedBeforeTheirParametersAreRead() {
    call("GET", ADMIN_API + "/users/not-a-user/media?limit=-1&dir=x", "alice")
        .assertError(403, "M_FORBIDDEN");
    call("POST", ADMIN_API + "/media/delete", "alice").assertError(403, "M_FORBIDDEN");
    call("GET", ADMIN_API + "/media/quarantined?kind=nope", "bob").assertError(403, "M_FORBIDDEN");
  }

  @Test
  void unknownPathsAre404UnrecognizedAndWrongMethods405() {
    admin("GET", "/media").assertError(404, "M_UNRECOGNIZED");
    admin("GET", "/media/a/b/c/d/e").assertError(404, "M_UNRECOGNIZED");
    admin("GET", "/rooms").assertError(404, "M_UNRECOGNIZED");
    admin("POST", "/users/%40alice%3Aexample.org/media").assertError(405, "M_UNRECOGNIZED");
    admin("GET", "/purge_media_cache").assertError(405, "M_UNRECOGNIZED");
    admin("PUT", "/media/example.org/abc").assertError(405, "M_UNRECOGNIZED");
  }

  // ---- one media

  @Test
  void mediaInfoHasSynapsesShapeForLocalMedia() {
    MxcUri uri = upload(ALICE, "hello", "hello.txt");
    JsonNode info = admin("GET", "/media/" + path(uri)).assertStatus(200).json().get("media_info");
    assertShape(
        info,
        shape(
            "media_origin",
            NULL,
            "user_id",
            STRING,
            "media_id",
            STRING,
            "media_type",
            STRING,
            "media_length",
            INTEGER,
            "upload_name",
            STRING,
            "created_ts",
            INTEGER,
            "filesystem_id",
            NULL,
            "url_cache",
            NULL,
            "last_access_ts",
            INTEGER,
            "quarantined_by",
            NULL,
            "authenticated",
            BOOLEAN,
            "safe_from_quarantine",
            BOOLEAN,
            "sha256",
            STRING));
    assertThat(info.get("user_id").asText()).isEqualTo("@alice:example.org");
    assertThat(info.get("media_id").asText()).isEqualTo(uri.mediaId().value());
    assertThat(info.get("media_type").asText()).startsWith("text/plain");
    assertThat(info.get("media_length").asLong()).isEqualTo(5);
    assertThat(info.get("upload_name").asText()).isEqualTo("hello.txt");
    assertThat(info.get("sha256").asText())
        .isEqualTo("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    assertThat(info.get("authenticated").asBoolean()).isTrue();
    assertThat(info.get("safe_from_quarantine").asBoolean()).isFalse();
  }

  @Test
  void mediaInfoHasSynapsesShapeForCachedRemoteMediaAnd404ForUnknownMedia() {
    cacheRemote("remote.com", "sdginwegWEG", 1, Instant.ofEpochMilli(300));
    JsonNode info =
        admin("GET", "/media/remote.com/sdginwegWEG").assertStatus(200).json().get("media_info");
    assertShape(
        info,
        shape(
            "media_origin",
            STRING,
            "user_id",
            NULL,
            "media_id",
            STRING,
            "media_type",
            STRING,
            "media_length",
            INTEGER,
            "upload_name",
            STRING,
            "created_ts",
            INTEGER,
            "filesystem_id",
            STRING,
            "url_cache",
            NULL,
            "last_access_ts",
            INTEGER,
            "quarantined_by",
            NULL,
            "authenticated",
            BOOLEAN,
            "safe_from_quarantine",
            NULL,
            "sha256",
            STRING));
    assertThat(info.get("media_origin").asText()).isEqualTo("remote.com");
    assertThat(info.get("created_ts").asLong()).isEqualTo(300);
    assertThat(info.get("media_length").asLong()).isEqualTo(67);

    admin("GET", "/media/remote.com/notCached").assertError(404, "M_NOT_FOUND");
    admin("GET", "/media/example.org/unknownMedia").assertError(404, "M_NOT_FOUND");
    admin("GET", "/media/example.org/bad%2Fid").assertError(404, "M_NOT_FOUND");
    admin("GET", "/media/bad..server/abc").assertError(404, "M_NOT_FOUND");
  }

  @Test
  void quarantineAndUnquarantineLocalAndRemoteMedia() {
    MxcUri uri = upload(ALICE, "q", "q.txt");
    Answer q = admin("POST", "/media/quarantine/" + path(uri)).assertStatus(200);
    assertThat(q.raw()).isEqualTo("{}");
    JsonNode info = admin("GET", "/media/" + path(uri)).json().get("media_info");
    assertThat(info.get("quarantined_by").isTextual()).isTrue();
    call("GET", "/_matrix/client/v1/media/download/" + path(uri), "alice")
        .assertError(404, "M_NOT_FOUND");

    assertThat(admin("POST", "/media/unquarantine/" + path(uri)).assertStatus(200).raw())
        .isEqualTo("{}");
    assertThat(
            admin("GET", "/media/" + path(uri))
                .json()
                .get("media_info")
                .get("quarantined_by")
                .isNull())
        .isTrue();

    cacheRemote("remote.com", "r1", 2, Instant.now());
    admin("POST", "/media/quarantine/remote.com/r1").assertStatus(200);
    assertThat(
            admin("GET", "/media/remote.com/r1")
                .json()
                .get("media_info")
                .get("quarantined_by")
                .isTextual())
        .isTrue();
    admin("POST", "/media/unquarantine/remote.com/r1").assertStatus(200);
    assertThat(
            admin("GET", "/media/remote.com/r1")
                .json()
                .get("media_info")
                .get("quarantined_by")
                .isNull())
        .isTrue();

    admin("POST", "/media/quarantine/example.org/nothing").assertError(404, "M_NOT_FOUND");
    admin("POST", "/media/unquarantine/remote.com/nothing").assertError(404, "M_NOT_FOUND");
  }

  @Test
  void protectedMediaIsNotQuarantined() {
    MxcUri uri = upload(ALICE, "p", "p.txt");
    assertThat(admin("POST", "/media/protect/" + uri.mediaId().value()).assertStatus(200).raw())
        .isEqualTo("{}");
    assertThat(
            admin("GET", "/media/" + path(uri))
                .json()
                .get("media_info")
                .get("safe_from_quarantine")
                .asBoolean())
        .isTrue();
    admin("POST", "/media/quarantine/" + path(uri)).assertStatus(200);
    assertThat(
            admin("GET", "/media/" + path(uri))
                .json()
                .get("media_info")
                .get("quarantined_by")
                .isNull())
        .isTrue();
    assertThat(
            admin("POST", "/user/%40alice%3Aexample.org/media/quarantine")
                .json()
                .get("num_quarantined")
                .asInt())
        .isZero();

    admin("POST", "/media/unprotect/" + uri.mediaId().value()).assertStatus(200);
    assertThat(
            admin("GET", "/media/" + path(uri))
                .json()
                .get("media_info")
                .get("safe_from_quarantine")
                .asBoolean())
        .isFalse();
    admin("POST", "/media/quarantine/" + path(uri)).assertStatus(200);
    assertThat(
            admin("GET", "/media/" + path(uri))
                .json()
                .get("media_info")
                .get("quarantined_by")
                .isTextual())
        .isTrue();

    admin("POST", "/media/protect/unknownMedia").assertError(404, "M_NOT_FOUND");
    admin("POST", "/media/unprotect/bad%2Fid").assertError(404, "M_NOT_FOUND");
  }

  @Test
  void quarantiningAUsersMediaCountsWhatItQuarantined() {
    for (int i = 0; i < 5; i++) {
      upload(ALICE, "alice " + i, null);
    }
    MxcUri bobs = upload(BOB, "bob", null);
    MxcUri safe = upload(ALICE, "safe", null);
    repository.admin().protect(safe);
    Answer a = admin("POST", "/user/%40alice%3Aexample.org/media/quarantine").assertStatus(200);
    assertShape(a.json(), shape("num_quarantined", INTEGER));
    assertThat(a.json().get("num_quarantined").asInt()).isEqualTo(5);
    assertThat(
            admin("POST", "/user/%40alice%3Aexample.org/media/quarantine")
                .json()
                .get("num_quarantined")
                .asInt())
        .isZero();
    assertThat(repository.admin().describe(bobs).quarantined()).isFalse();
    assertThat(repository.admin().describe(safe).quarantined()).isFalse();
    admin("POST", "/user/not-a-user/media/quarantine").assertError(400, "M_INVALID_PARAM");
  }

  @Test
  void theHostQuarantinesAListOfUrisAtOnce() {
    MxcUri a = upload(ALICE, "a", null);
    MxcUri b = upload(BOB, "b", null);
    MxcUri safe = upload(BOB, "s", null);
    repository.admin().protect(safe);
    RemoteMedia r = cacheRemote("remote.com", "room1", 3, Instant.now());
    MxcUri unknown = MxcUri.of(ServerName.of("example.org"), MediaId.of("unknown"));
    assertThat(repository.admin(ADMIN).quarantine(List.of(a, b, safe, r.uri(), unknown)))
        .isEqualTo(3);
    assertThat(repository.admin().quarantine(List.of(a, b))).isZero();
    assertThat(repository.admin().describe(r.uri()).quarantined()).isTrue();
  }

  // ---- deletion

  @Test
  void deletingMediaFreesItsBytesOnlyWhenNothingElseUsesThem() {
    MxcUri shared1 = upload(ALICE, "same bytes", null);
    MxcUri shared2 = upload(BOB, "same bytes", null);
    MxcUri alone = upload(ALICE, "alone", null);
    assertThat(storage.size()).isEqualTo(2);

    Answer d = admin("DELETE", "/media/" + path(alone)).assertStatus(200);
    assertShape(d.json(), shape("deleted_media", "array", "total", INTEGER));
    assertThat(d.json().get("deleted_media").get(0).asText()).isEqualTo(alone.mediaId().value());
    assertThat(d.json().get("total").asInt()).isEqualTo(1);
    assertThat(storage.size()).isEqualTo(1);

    admin("DELETE", "/media/" + path(shared1)).assertStatus(200);
    assertThat(storage.size()).as("bob's media still uses the bytes").isEqualTo(1);
    assertThat(call("GET", "/_matrix/client/v1/media/download/" + path(shared2), "bob").status())
        .isEqualTo(200);
    admin("DELETE", "/media/" + path(shared2)).assertStatus(200);
    assertThat(storage.size()).isZero();

    admin("DELETE", "/media/" + path(alone)).assertError(404, "M_NOT_FOUND");
    cacheRemote("remote.com", "r", 4, Instant.now());
    admin("DELETE", "/media/remote.com/r").assertError(400, "M_UNKNOWN");
    assertThat(store.remoteMedia(MxcUri.parse("mxc://remote.com/r"))).isPresent();
  }

  @Test
  void deleteByDateAndSizeKeepsRecentSmallQuarantinedProtectedAndProfileMedia() {
    MxcUri big = upload(ALICE, "x".repeat(100), null);
    MxcUri small = upload(ALICE, "y", null);
    MxcUri quarantined = upload(ALICE, "q".repeat(100), null);
    MxcUri protectedMedia = upload(ALICE, "p".repeat(100), null);
    MxcUri avatar = upload(ALICE, "a".repeat(100), null);
    repository.admin().quarantine(quarantined);
    repository.admin().protect(protectedMedia);
    profileImages.add(avatar);
    long future = Instant.now().plusSeconds(60).toEpochMilli();
    long past = Instant.now().minusSeconds(3600).toEpochMilli();

    assertThat(admin("POST", "/media/delete?before_ts=" + past).json().get("total").asInt())
        .isZero();
    Answer d = admin("POST", "/media/delete?before_ts=" + future + "&size_gt=10").assertStatus(200);
    assertShape(d.json(), shape("deleted_media", "array", "total", INTEGER));
    assertThat(ids(d.json().get("deleted_media"))).containsExactly(big.mediaId().value());
    assertThat(d.json().get("total").asInt()).isEqualTo(1);

    Answer withProfiles =
        admin("POST", "/media/example.org/delete?before_ts=" + future + "&keep_profiles=false");
    assertThat(ids(withProfiles.assertStatus(200).json().get("deleted_media")))
        .containsExactlyInAnyOrder(small.mediaId().value(), avatar.mediaId().value());
    assertThat(storage.size()).as("the quarantined and the protected media's bytes").isEqualTo(2);

    admin("POST", "/media/delete").assertError(400, "M_MISSING_PARAM");
    admin("POST", "/media/delete?before_ts=1700000000").assertError(400, "M_INVALID_PARAM");
    admin("POST", "/media/delete?before_ts=-5").assertError(400, "M_INVALID_PARAM");
    admin("POST", "/media/delete?before_ts=abc").assertError(400, "M_INVALID_PARAM");
    admin("POST", "/media/delete?before_ts=" + future + "&size_gt=-1")
        .assertError(400, "M_INVALID_PARAM");
    admin("POST", "/media/delete?before_ts=" + future + "&keep_profiles=yes")
        .assertError(400, "M_INVALID_PARAM");
    admin("POST", "/media/other.org/delete?before_ts=" + future).assertError(400, "M_UNKNOWN");
  }

  @Test
  void purgeMediaCacheDeletesRemoteMediaNotAccessedSince() {
    Instant old = Instant.now().minusSeconds(7200);
    for (int i = 0; i < 3; i++) {
      cacheRemote("remote.com", "old" + i, 10 + i, old);
    }
    cacheRemote("remote.com", "fresh", 20, Instant.now());
    long before = Instant.now().minusSeconds(3600).toEpochMilli();
    Answer p = admin("POST", "/purge_media_cache?before_ts=" + before).assertStatus(200);
    assertShape(p.json(), shape("deleted", INTEGER));
    assertThat(p.json().get("deleted").asInt()).isEqualTo(3);
    assertThat(store.remoteMedia(MxcUri.parse("mxc://remote.com/fresh"))).isPresent();
    assertThat(store.remoteMedia(MxcUri.parse("mxc://remote.com/old0"))).isEmpty();
    admin("POST", "/purge_media_cache").assertError(400, "M_MISSING_PARAM");
    admin("POST", "/purge_media_cache?before_ts=12").assertError(400, "M_INVALID_PARAM");
  }

  // ---- a user's media

  @Test
  void userMediaHasSynapsesShape() {
    MxcUri named = upload(ALICE, "one", "one.txt");
    upload(ALICE, "two", null);
    repository.admin().quarantine(named);
    Answer a = admin("GET", "/users/%40alice%3Aexample.org/media").assertStatus(200);
    assertShape(a.json(), shape("media", "array", "total", INTEGER));
    assertThat(a.json().get("total").asInt()).isEqualTo(2);
    for (JsonNode item : a.json().get("media")) {
      assertShape(item, USER_MEDIA_ITEM);
    }
    JsonNode first = null;
    JsonNode other = null;
    for (JsonNode item : a.json().get("media")) {
      if (item.get("media_id").asText().equals(named.mediaId().value())) {
        first = item;
      } else {
        other = item;
      }
    }
    assertThat(first.get("upload_name").asText()).isEqualTo("one.txt");
    assertThat(first.get("quarantined_by").isTextual()).isTrue();
    assertThat(first.get("media_length").asInt()).isEqualTo(3);
    assertThat(first.get("media_type").asText()).startsWith("text/plain");
    assertThat(other.get("upload_name").isNull()).isTrue();
    assertThat(other.get("quarantined_by").isNull()).isTrue();
  }

  @Test
  void pagingOverMoreThanAThousandMediaListsEachExactlyOnce() {
    int n = 1234;
    Set<String> uploaded = new HashSet<>();
    for (int i = 0; i < n; i++) {
      uploaded.add(upload(ALICE, "media " + i, "f" + (i % 17) + ".txt").mediaId().value());
    }
    upload(BOB, "not alice's", null);
    for (String query :
        List.of(
            "", "order_by=upload_name&dir=b&", "order_by=media_length&", "order_by=media_id&")) {
      List<String> seen = new ArrayList<>();
      String from = "0";
      int pages = 0;
      while (true) {
        Answer page =
            admin("GET", "/users/%40alice%3Aexample.org/media?" + query + "limit=100&from=" + from)
                .assertStatus(200);
        pages++;
        assertThat(page.json().get("total").asInt()).isEqualTo(n);
        page.json().get("media").forEach(m -> seen.add(m.get("media_id").asText()));
        JsonNode next = page.json().get("next_token");
        if (next == null) {
          assertThat(page.json().get("media").size()).isEqualTo(n % 100);
          break;
        }
        assertThat(next.isIntegralNumber()).isTrue();
        assertThat(page.json().get("media").size()).isEqualTo(100);
        from = next.asText();
      }
      assertThat(pages).isEqualTo(13);
      assertThat(seen).as(query).hasSize(n).doesNotHaveDuplicates();
      assertThat(new HashSet<>(seen)).isEqualTo(uploaded);
    }
    Answer big = admin("GET", "/users/%40alice%3Aexample.org/media?limit=5000");
    assertThat(big.json().get("media").size()).as("limits are lowered to 1000").isEqualTo(1000);
    assertThat(big.json().get("next_token").asInt()).isEqualTo(1000);
    Answer beyond = admin("GET", "/users/%40alice%3Aexample.org/media?from=5000");
    assertThat(beyond.json().get("media").size()).isZero();
    assertThat(beyond.json().has("next_token")).isFalse();
    assertThat(beyond.json().get("total").asInt()).isEqualTo(n);
  }

  @Test
  void userMediaIsOrderedAsAsked() {
    upload(ALICE, "ccc", "b.txt");
    upload(ALICE, "a", "c.txt");
    upload(ALICE, "bb", "a.txt");
    assertThat(names(admin("GET", "/users/%40alice%3Aexample.org/media?order_by=upload_name")))
        .containsExactly("a.txt", "b.txt", "c.txt");
    assertThat(
            names(admin("GET", "/users/%40alice%3Aexample.org/media?order_by=upload_name&dir=b")))
        .containsExactly("c.txt", "b.txt", "a.txt");
    assertThat(names(admin("GET", "/users/%40alice%3Aexample.org/media?order_by=media_length")))
        .containsExactly("c.txt", "a.txt", "b.txt");
    assertThat(
            names(admin("GET", "/users/%40alice%3Aexample.org/media?dir=b&order_by=media_length")))
        .containsExactly("b.txt", "a.txt", "c.txt");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "order_by=size",
        "dir=x",
        "from=-1",
        "limit=-1",
        "from=abc",
        "limit=1.5",
        "order_by=",
        "dir=F"
      })
  void badPagingParametersAre400InvalidParam(String query) {
    admin("GET", "/users/%40alice%3Aexample.org/media?" + query)
        .assertError(400, "M_INVALID_PARAM");
    admin("DELETE", "/users/%40alice%3Aexample.org/media?" + query)
        .assertError(400, "M_INVALID_PARAM");
  }

  @Test
  void theMediaOfAnotherServersUserIs400AndOfAnUnknownUser404() {
    Answer remote = admin("GET", "/users/%40alice%3Aother.org/media");
    remote.assertError(400, "M_UNKNOWN");
    assertThat(remote.json().get("error").asText()).isEqualTo("Can only look up local users");
    admin("DELETE", "/users/%40alice%3Aother.org/media").assertError(400, "M_UNKNOWN");
    admin("GET", "/users/%40ghost%3Aexample.org/media").assertError(404, "M_NOT_FOUND");
    admin("DELETE", "/users/%40ghost%3Aexample.org/media").assertError(404, "M_NOT_FOUND");
    admin("GET", "/users/alice/media").assertError(400, "M_INVALID_PARAM");
    Answer none = admin("GET", "/users/%40carol%3Aexample.org/media").assertStatus(200);
    assertThat(none.json().get("media").size()).isZero();
    assertThat(none.json().get("total").asInt()).isZero();
    assertThat(none.json().has("next_token")).isFalse();
  }

  @Test
  void deletingAUsersMediaDeletesOnePageNewestFirst() {
    List<MxcUri> alices = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      alices.add(upload(ALICE, "alice " + i, null));
    }
    upload(BOB, "alice 0", null); // the same bytes as Alice's first
    Answer d = admin("DELETE", "/users/%40alice%3Aexample.org/media?limit=2").assertStatus(200);
    assertShape(d.json(), shape("deleted_media", "array", "total", INTEGER));
    assertThat(d.json().get("total").asInt()).isEqualTo(2);
    assertThat(d.json().get("deleted_media").size()).isEqualTo(2);
    boolean sharedGone =
        ids(d.json().get("deleted_media")).contains(alices.get(0).mediaId().value());
    assertThat(storage.size()).as("bytes still used by bob are kept").isEqualTo(sharedGone ? 4 : 3);
    Answer rest = admin("DELETE", "/users/%40alice%3Aexample.org/media").assertStatus(200);
    assertThat(rest.json().get("total").asInt()).isEqualTo(3);
    assertThat(storage.size()).as("bob's copy of alice 0 keeps its bytes").isEqualTo(1);
    assertThat(admin("GET", "/users/%40alice%3Aexample.org/media").json().get("total").asInt())
        .isZero();
  }

  // ---- lists

  @Test
  void quarantinedMediaIsListedByKindAndPaged() {
    List<String> local = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      MxcUri uri = upload(ALICE, "q" + i, null);
      if (i % 2 == 0) {
        repository.admin().quarantine(uri);
        local.add(uri.toString());
      }
    }
    RemoteMedia r = cacheRemote("remote.com", "rq", 30, Instant.now());
    cacheRemote("remote.com", "ok", 31, Instant.now());
    repository.admin().quarantine(r.uri());

    List<String> seen = new ArrayList<>();
    String from = "0";
    while (true) {
      Answer page =
          admin("GET", "/media/quarantined?kind=local&limit=5&from=" + from).assertStatus(200);
      assertThat(page.json().get("total").asInt()).isEqualTo(13);
      page.json().get("media").forEach(m -> seen.add(m.asText()));
      if (!page.json().has("next_token")) {
        break;
      }
      from = page.json().get("next_token").asText();
    }
    assertThat(seen).containsExactlyInAnyOrderElementsOf(local).doesNotHaveDuplicates();

    Answer remote = admin("GET", "/media/quarantined?kind=remote").assertStatus(200);
    assertShape(remote.json(), shape("media", "array", "total", INTEGER));
    assertThat(remote.json().get("media").get(0).asText()).isEqualTo("mxc://remote.com/rq");
    assertThat(remote.json().get("media").size()).isEqualTo(1);

    admin("GET", "/media/quarantined").assertError(400, "M_MISSING_PARAM");
    admin("GET", "/media/quarantined?kind=all").assertError(400, "M_INVALID_PARAM");
    admin("GET", "/media/quarantined?kind=local&limit=-3").assertError(400, "M_INVALID_PARAM");
  }

  @Test
  void userMediaStatisticsHaveSynapsesShapeAndPage() {
    upload(ALICE, "12345", null);
    upload(ALICE, "123", null);
    upload(BOB, "1", null);
    upload(ADMIN, "1234567", null);
    Answer all = admin("GET", "/statistics/users/media").assertStatus(200);
    assertShape(all.json(), shape("users", "array", "total", INTEGER));
    assertThat(all.json().get("total").asInt()).isEqualTo(3);
    for (JsonNode u : all.json().get("users")) {
      assertShape(
          u,
          shape(
              "user_id",
              STRING,
              "displayname",
              List.of(STRING, NULL),
              "media_count",
              INTEGER,
              "media_length",
              INTEGER));
    }
    JsonNode alice = all.json().get("users").get(1);
    assertThat(alice.get("user_id").asText()).isEqualTo("@alice:example.org");
    assertThat(alice.get("displayname").asText()).isEqualTo("Alice");
    assertThat(alice.get("media_count").asInt()).isEqualTo(2);
    assertThat(alice.get("media_length").asInt()).isEqualTo(8);
    assertThat(all.json().get("users").get(0).get("displayname").isNull()).isTrue();

    Answer page = admin("GET", "/statistics/users/media?order_by=media_length&dir=b&limit=2");
    assertThat(users(page)).containsExactly("@alice:example.org", "@admin:example.org");
    assertThat(page.json().get("next_token").asInt()).isEqualTo(2);
    Answer last =
        admin("GET", "/statistics/users/media?order_by=media_length&dir=b&limit=2&from=2");
    assertThat(users(last)).containsExactly("@bob:example.org");
    assertThat(last.json().has("next_token")).isFalse();
    assertThat(users(admin("GET", "/statistics/users/media?order_by=media_count&dir=b")))
        .startsWith("@alice:example.org");
    assertThat(users(admin("GET", "/statistics/users/media?search_term=LIC")))
        .containsExactly("@alice:example.org");
    long future = Instant.now().plusSeconds(60).toEpochMilli();
    assertThat(users(admin("GET", "/statistics/users/media?from_ts=" + future))).isEmpty();
    assertThat(users(admin("GET", "/statistics/users/media?until_ts=" + future))).hasSize(3);

    admin("GET", "/statistics/users/media?from_ts=10&until_ts=10")
        .assertError(400, "M_INVALID_PARAM");
    admin("GET", "/statistics/users/media?search_term=").assertError(400, "M_INVALID_PARAM");
    admin("GET", "/statistics/users/media?order_by=media_id").assertError(400, "M_INVALID_PARAM");
    admin("GET", "/statistics/users/media?from_ts=-1").assertError(400, "M_INVALID_PARAM");
    admin("GET", "/statistics/users/media?dir=up").assertError(400, "M_INVALID_PARAM");
  }

  @Test
  void userMediaStatisticsPageOverMoreThanAThousandUsers() {
    int n = 1050;
    for (int i = 0; i < n; i++) {
      upload(UserId.of(String.format("@u%04d:example.org", i)), "u" + i, null);
    }
    List<String> seen = new ArrayList<>();
    String from = "0";
    while (true) {
      Answer page =
          admin("GET", "/statistics/users/media?limit=100&from=" + from).assertStatus(200);
      assertThat(page.json().get("total").asInt()).isEqualTo(n);
      seen.addAll(users(page));
      if (!page.json().has("next_token")) {
        break;
      }
      from = page.json().get("next_token").asText();
    }
    assertThat(seen).hasSize(n).doesNotHaveDuplicates().isSorted();
  }

  static List<String> ids(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(v -> out.add(v.asText()));
    return out;
  }

  static List<String> names(Answer a) {
    List<String> out = new ArrayList<>();
    a.json().get("media").forEach(v -> out.add(v.get("upload_name").asText()));
    return out;
  }

  static List<String> users(Answer a) {
    List<String> out = new ArrayList<>();
    for (Iterator<JsonNode> it = a.json().get("users").elements(); it.hasNext(); ) {
      out.add(it.next().get("user_id").asText());
    }
    return out;
  }
}
