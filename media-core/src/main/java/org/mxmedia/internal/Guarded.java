package org.mxmedia.internal;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import org.mxmedia.MediaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shields the engine from host code: an unchecked exception escaping a host's SPI implementation
 * is logged with the method that threw it and becomes a 500 {@code M_UNKNOWN} whose message says
 * nothing of the internals. {@link MediaException}s pass through as they are.
 */
public final class Guarded {
  private static final Logger log = LoggerFactory.getLogger(Guarded.class);

  private Guarded() {}

  /** Wraps {@code delegate} (an implementation of interface {@code type}); a no-op for an already guarded one. */
  public static <T> T wrap(Class<T> type, T delegate, String description) {
    if (Proxy.isProxyClass(delegate.getClass()) && Proxy.getInvocationHandler(delegate) instanceof Handler) {
      return delegate;
    }
    Object proxy =
        Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, new Handler(delegate, description));
    return type.cast(proxy);
  }

  private record Handler(Object delegate, String description) implements InvocationHandler {
    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
      if (method.getDeclaringClass() == Object.class) {
        return switch (method.getName()) {
          case "equals" -> proxy == args[0];
          case "hashCode" -> System.identityHashCode(proxy);
          case "toString" -> "Guarded[" + delegate + "]";
          default -> method.invoke(delegate, args);
        };
      }
      try {
        return method.invoke(delegate, args);
      } catch (InvocationTargetException e) {
        Throwable cause = e.getCause();
        if (cause instanceof MediaException || cause instanceof Error) {
          throw cause;
        }
        if (cause instanceof RuntimeException) {
          log.error("{} failed in {}", description, method.getName(), cause);
          throw MediaException.internal("The media repository's " + description + " failed", cause);
        }
        throw cause; // checked exceptions the method declares
      }
    }
  }
}
