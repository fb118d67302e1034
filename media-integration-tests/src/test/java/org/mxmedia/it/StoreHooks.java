package org.mxmedia.it;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.function.BiConsumer;
import org.mxmedia.spi.MediaStore;

/**
 * Decorators of a {@link MediaStore} that let a test act at, and wait for, points of the engine's
 * work.
 */
final class StoreHooks {
  private StoreHooks() {}

  /**
   * {@code inner}, calling {@code after} with each method's name and result once the call has
   * returned and before its caller sees the result.
   */
  static MediaStore after(MediaStore inner, BiConsumer<String, Object> after) {
    return (MediaStore)
        Proxy.newProxyInstance(
            MediaStore.class.getClassLoader(),
            new Class<?>[] {MediaStore.class},
            (proxy, method, args) -> {
              Object result;
              try {
                result = method.invoke(inner, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
              after.accept(method.getName(), result);
              return result;
            });
  }

  /**
   * {@code inner}, counting {@code done} down each time maintenance has purged expired pending
   * uploads, its last step (so the sweep before it has finished).
   */
  static MediaStore signallingMaintenance(MediaStore inner, CountDownLatch done) {
    return after(
        inner,
        (method, result) -> {
          if (method.equals("deleteExpiredPending")) {
            done.countDown();
          }
        });
  }

  /**
   * {@code inner} as a host's store that predates the URL preview cache: the cache's methods are
   * the SPI's defaults (nothing kept), everything else is {@code inner}'s.
   */
  static MediaStore withoutPreviewCache(MediaStore inner) {
    Set<String> cache =
        Set.of("insertUrlPreview", "urlPreview", "urlPreviewsExpiredBy", "deleteUrlPreview");
    return (MediaStore)
        Proxy.newProxyInstance(
            MediaStore.class.getClassLoader(),
            new Class<?>[] {MediaStore.class},
            (proxy, method, args) -> {
              if (cache.contains(method.getName())) {
                return InvocationHandler.invokeDefault(proxy, method, args);
              }
              try {
                return method.invoke(inner, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }
}
