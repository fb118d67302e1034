package org.mxmedia.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Set;

/**
 * Validates response bodies against the spec's own schemas (test resource {@code
 * matrix-media-openapi-v1.19.json}, derived from matrix-org/matrix-spec v1.19, Apache-2.0).
 */
final class SpecSchemas {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNode SPEC = load();
  private static final JsonSchemaFactory FACTORY =
      JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

  private SpecSchemas() {}

  private static JsonNode load() {
    try (InputStream in =
        SpecSchemas.class.getResourceAsStream("/matrix-media-openapi-v1.19.json")) {
      return JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Asserts {@code body} is valid for the spec's {@code method path} answer with {@code status}.
   */
  static JsonNode assertValid(String method, String specPath, int status, String body) {
    JsonNode responses =
        SPEC.path("paths").path(specPath).path(method.toLowerCase()).path("responses");
    assertThat(responses.isMissingNode()).as("spec has %s %s", method, specPath).isFalse();
    JsonNode response = responses.path(Integer.toString(status));
    assertThat(response.isMissingNode())
        .as("spec lists status %d for %s %s", status, method, specPath)
        .isFalse();
    JsonNode schemaNode = response.path("content").path("application/json").path("schema");
    assertThat(schemaNode.isMissingNode())
        .as("spec has a JSON schema for %d %s %s", status, method, specPath)
        .isFalse();
    JsonSchema schema = FACTORY.getSchema(schemaNode);
    JsonNode node;
    try {
      node = JSON.readTree(body);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + body, e);
    }
    Set<ValidationMessage> errors = schema.validate(node);
    assertThat(errors).as("schema errors for %s", body).isEmpty();
    return node;
  }

  static JsonNode parse(String body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + body, e);
    }
  }
}
