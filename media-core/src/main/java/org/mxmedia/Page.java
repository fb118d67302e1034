package org.mxmedia;

import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * One page of a list the admin API pages through by offset, as Synapse's admin API does.
 *
 * @param items the page's items, in the list's order; at most the limit asked for
 * @param offset the position of the first item in the whole list, {@code >= 0}
 * @param total how many items the whole list holds (with the same filters), {@code >= 0}
 * @param <T> the item type
 */
public record Page<T>(List<T> items, long offset, long total) {

  /** The most items one page may ask for; larger limits are lowered to it. */
  public static final int MAX_LIMIT = 1000;

  public Page {
    items = List.copyOf(items);
    if (offset < 0 || total < 0) {
      throw new IllegalArgumentException("offset and total cannot be negative");
    }
  }

  /** The offset of the next page, or empty when no item follows this page. */
  public OptionalLong nextOffset() {
    long next = offset + items.size();
    return next < total && !items.isEmpty() ? OptionalLong.of(next) : OptionalLong.empty();
  }

  /** The page of {@code all} from {@code offset}, at most {@code limit} items; for stores that hold the whole list. */
  public static <T> Page<T> of(List<T> all, long offset, int limit) {
    Objects.requireNonNull(all, "all");
    int from = (int) Math.min(offset, all.size());
    int to = (int) Math.min((long) from + limit, all.size());
    return new Page<>(all.subList(from, to), offset, all.size());
  }
}
