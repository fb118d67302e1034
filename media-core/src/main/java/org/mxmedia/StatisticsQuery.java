package org.mxmedia;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Which page of the per-user statistics of local media to list (Synapse's
 * {@code /statistics/users/media}). Only users with at least one upload in the period are listed;
 * users that tie on {@code orderBy} are ordered by ascending user id.
 *
 * @param orderBy the sort key
 * @param descending whether the order is reversed ({@code dir=b})
 * @param offset how many users to skip, {@code >= 0}
 * @param limit how many users at most, {@code 0 <= limit <= }{@link Page#MAX_LIMIT}
 * @param from only media created at or after this instant counts
 * @param until only media created at or before this instant counts, if given; after {@code from}
 * @param searchTerm only users whose localpart contains it (ignoring ASCII case), if given; not empty
 */
public record StatisticsQuery(
    Order orderBy, boolean descending, long offset, int limit, Instant from, Optional<Instant> until,
    Optional<String> searchTerm) {

  public StatisticsQuery {
    Objects.requireNonNull(orderBy, "orderBy");
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(until, "until");
    Objects.requireNonNull(searchTerm, "searchTerm");
    if (offset < 0) {
      throw new IllegalArgumentException("offset cannot be negative");
    }
    if (limit < 0 || limit > Page.MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be between 0 and " + Page.MAX_LIMIT);
    }
    if (until.isPresent() && !until.get().isAfter(from)) {
      throw new IllegalArgumentException("until must be after from");
    }
    if (searchTerm.isPresent() && searchTerm.get().isEmpty()) {
      throw new IllegalArgumentException("searchTerm cannot be empty");
    }
  }

  /** Every user, by user id, the first 100. */
  public static StatisticsQuery byUserId() {
    return new StatisticsQuery(Order.USER_ID, false, 0, 100, Instant.EPOCH, Optional.empty(), Optional.empty());
  }

  /** The sort keys of Synapse's {@code order_by}; {@link #parameter()} is the value on the wire. */
  public enum Order {
    USER_ID("user_id"),
    /**
     * The display name. Names belong to the host, not to the store, so this orders by user id
     * (as Synapse orders users without a name).
     */
    DISPLAYNAME("displayname"),
    MEDIA_LENGTH("media_length"),
    MEDIA_COUNT("media_count");

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
