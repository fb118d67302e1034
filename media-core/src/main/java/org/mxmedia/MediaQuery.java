package org.mxmedia;

import java.util.Objects;
import java.util.Optional;

/**
 * Which page of a user's local media to list, and in which order (Synapse's {@code order_by},
 * {@code dir}, {@code from} and {@code limit}). Items that tie on {@code orderBy} are ordered by
 * ascending media id, so the order is total and pages never overlap.
 *
 * @param orderBy the sort key
 * @param descending whether the order of {@code orderBy} is reversed ({@code dir=b})
 * @param offset how many items of the whole list to skip, {@code >= 0}
 * @param limit how many items at most, {@code 0 <= limit <= }{@link Page#MAX_LIMIT}
 */
public record MediaQuery(Order orderBy, boolean descending, long offset, int limit) {

  public MediaQuery {
    Objects.requireNonNull(orderBy, "orderBy");
    if (offset < 0) {
      throw new IllegalArgumentException("offset cannot be negative");
    }
    if (limit < 0 || limit > Page.MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be between 0 and " + Page.MAX_LIMIT);
    }
  }

  /** Synapse's default: newest first ({@code created_ts}, backwards), the first 100. */
  public static MediaQuery newestFirst() {
    return new MediaQuery(Order.CREATED_TS, true, 0, 100);
  }

  /** The sort keys of Synapse's {@code order_by}; {@link #parameter()} is the value on the wire. */
  public enum Order {
    MEDIA_ID("media_id"),
    /** The upload name; media without one sorts as an empty name. */
    UPLOAD_NAME("upload_name"),
    CREATED_TS("created_ts"),
    LAST_ACCESS_TS("last_access_ts"),
    MEDIA_LENGTH("media_length"),
    MEDIA_TYPE("media_type"),
    /** Whether the media is quarantined (unquarantined first). */
    QUARANTINED_BY("quarantined_by"),
    SAFE_FROM_QUARANTINE("safe_from_quarantine");

    private final String parameter;

    Order(String parameter) {
      this.parameter = parameter;
    }

    /** The name Synapse's admin API uses for this key. */
    public String parameter() {
      return parameter;
    }

    /** The key named {@code parameter} on the wire, if any. */
    public static Optional<Order> parse(String parameter) {
      for (Order o : values()) {
        if (o.parameter.equals(parameter)) {
          return Optional.of(o);
        }
      }
      return Optional.empty();
    }
  }
}
