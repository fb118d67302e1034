package org.mxmedia.examples.federation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import org.mxmedia.examples.PrivateFiles;

/**
 * A server's Ed25519 signing key (the JDK's own Ed25519), kept in the data directory (or, for a
 * cluster, in its database: {@link Federation.KeyStorage}) as {@code ed25519 <version> <base64
 * PKCS#8 private key> <unpadded base64 public key>} and created on first start. Signs canonical
 * JSON the way the spec's signing appendix says, with unpadded base64.
 */
final class SigningKey {
  /** The DER prefix of an X.509 SubjectPublicKeyInfo for a raw 32-byte Ed25519 key. */
  private static final byte[] X509_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

  static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();

  final String keyId;
  private final PrivateKey privateKey;
  final PublicKey publicKey;

  private SigningKey(String keyId, PrivateKey privateKey, PublicKey publicKey) {
    this.keyId = keyId;
    this.privateKey = privateKey;
    this.publicKey = publicKey;
  }

  /**
   * Loads the key at {@code file}, creating it if it does not exist. The file is readable by its
   * owner only from the moment it exists ({@link PrivateFiles}); an existing one readable by others
   * is narrowed when loaded.
   */
  static SigningKey loadOrCreate(Path file) throws IOException {
    if (Files.exists(file)) {
      PrivateFiles.restrict(file);
      return parse(Files.readString(file, StandardCharsets.US_ASCII), file.toString());
    }
    String line = generate();
    PrivateFiles.write(file, line + "\n");
    return parse(line, file.toString());
  }

  /**
   * The key {@code storage} keeps, offering it a newly generated one to keep if it has none (a
   * cluster's nodes then all sign with whichever key was kept first).
   */
  static SigningKey loadOrCreate(Federation.KeyStorage storage) throws IOException {
    return parse(storage.getOrKeep(generate()), storage.toString());
  }

  /**
   * A new key in the stored form {@code ed25519 <version> <base64 PKCS#8> <unpadded base64 public
   * key>}.
   */
  static String generate() throws IOException {
    try {
      KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      byte[] id = new byte[4];
      new SecureRandom().nextBytes(id);
      String version = "a_" + HexFormat.of().formatHex(id);
      return "ed25519 "
          + version
          + " "
          + Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded())
          + " "
          + B64.encodeToString(raw(pair.getPublic()));
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot generate an Ed25519 key: " + e.getMessage(), e);
    }
  }

  /** A key in its stored form; {@code where} names its source in errors. */
  static SigningKey parse(String stored, String where) throws IOException {
    try {
      String[] parts = stored.strip().split(" ");
      if (parts.length != 4 || !parts[0].equals("ed25519")) {
        throw new IOException("not a signing key: " + where);
      }
      KeyFactory factory = KeyFactory.getInstance("Ed25519");
      PrivateKey priv =
          factory.generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(parts[2])));
      return new SigningKey("ed25519:" + parts[1], priv, publicKey(decode(parts[3])));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IOException("cannot load the signing key " + where + ": " + e.getMessage(), e);
    }
  }

  /** The raw 32 bytes of an Ed25519 public key. */
  static byte[] raw(PublicKey key) {
    byte[] encoded = key.getEncoded();
    return Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length);
  }

  /** The public key of 32 raw bytes, as published in {@code verify_keys}. */
  static PublicKey publicKey(byte[] raw) throws GeneralSecurityException {
    if (raw.length != 32) {
      throw new GeneralSecurityException("an Ed25519 key is 32 bytes");
    }
    byte[] der = Arrays.copyOf(X509_PREFIX, X509_PREFIX.length + 32);
    System.arraycopy(raw, 0, der, X509_PREFIX.length, 32);
    return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
  }

  /** The unpadded base64 signature of {@code json}'s canonical form. */
  String sign(JsonNode json) {
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(privateKey);
      s.update(CanonicalJson.encode(json));
      return B64.encodeToString(s.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 signing failed", e);
    }
  }

  /** Whether {@code signature} (base64, padded or not) signs {@code json} with {@code key}. */
  static boolean verify(PublicKey key, JsonNode json, String signature) {
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initVerify(key);
      s.update(CanonicalJson.encode(json));
      return s.verify(Base64.getDecoder().decode(pad(signature)));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  static byte[] decode(String unpadded) {
    return Base64.getDecoder().decode(pad(unpadded));
  }

  private static String pad(String b64) {
    return b64 + "=".repeat((4 - b64.length() % 4) % 4);
  }

  /** Adds this server's signature to {@code json} under {@code signatures.<server>.<key id>}. */
  void signInPlace(ObjectNode json, String serverName) {
    ObjectNode unsigned = json.deepCopy();
    unsigned.remove("signatures");
    unsigned.remove("unsigned");
    String sig = sign(unsigned);
    ObjectNode signatures =
        json.has("signatures") ? (ObjectNode) json.get("signatures") : json.putObject("signatures");
    ObjectNode mine =
        signatures.has(serverName)
            ? (ObjectNode) signatures.get(serverName)
            : signatures.putObject(serverName);
    mine.put(keyId, sig);
  }
}
