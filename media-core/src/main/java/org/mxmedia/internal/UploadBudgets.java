package org.mxmedia.internal;

import java.util.concurrent.ConcurrentHashMap;
import org.mxmedia.UserId;

/**
 * The bytes each user's uploads in progress have read so far, so that an allowance shared by the
 * uploader (a quota, {@code UploadPolicy.Allowance#sharedByUploader}) is shared for real: each
 * upload counts, besides its own bytes, those of the uploader's other uploads in progress and of
 * those that finished since it started (the store's usage, read when it was admitted, does not
 * include them). An entry lives only while its user has an upload in progress.
 */
final class UploadBudgets {
  private final ConcurrentHashMap<UserId, Account> accounts = new ConcurrentHashMap<>();

  private static final class Account {
    long inFlight;
    long finished;
    int open;
  }

  /**
   * Opens a ticket for an upload of {@code user}. Open it before the store's usage is read, so an
   * upload that finishes in between is counted twice (safe) rather than not at all.
   */
  Ticket open(UserId user) {
    Account a =
        accounts.compute(
            user,
            (k, v) -> {
              Account account = v == null ? new Account() : v;
              account.open++;
              return account;
            });
    synchronized (a) {
      return new Ticket(user, a, a.finished);
    }
  }

  /** Users with an upload in progress (for tests). */
  int openAccounts() {
    return accounts.size();
  }

  /** One upload's share of its user's account. */
  final class Ticket implements AutoCloseable {
    private final UserId user;
    private final Account account;
    private final long finishedAtStart;
    private long mine;
    private boolean closed;

    private Ticket(UserId user, Account account, long finishedAtStart) {
      this.user = user;
      this.account = account;
      this.finishedAtStart = finishedAtStart;
    }

    /**
     * Adds {@code n} bytes read by this upload; returns the bytes that now count against a shared
     * allowance: this upload's, the other uploads' in progress, and those finished since this one
     * started.
     */
    long add(long n) {
      synchronized (account) {
        mine += n;
        account.inFlight += n;
        return account.inFlight + (account.finished - finishedAtStart);
      }
    }

    /** The upload was stored: its bytes now count as finished for the uploads still running. */
    void stored() {
      release(true);
    }

    @Override
    public void close() {
      release(false);
    }

    private void release(boolean stored) {
      synchronized (account) {
        if (closed) {
          return;
        }
        closed = true;
        account.inFlight -= mine;
        if (stored) {
          account.finished += mine;
        }
      }
      accounts.computeIfPresent(user, (k, a) -> --a.open == 0 ? null : a);
    }
  }
}
