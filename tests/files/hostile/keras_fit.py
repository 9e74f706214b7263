# %%
# Not hostile: proves TensorFlow imports and trains under the sandbox's caps, as nobody, offline.
import numpy as np
import keras

model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)],
                         name="tiny")
model.compile(optimizer="adam", loss="mse")
history = model.fit(np.zeros((32, 4)), np.zeros((32, 1)), epochs=2, verbose=0)
report(loss=float(history.history["loss"][-1]))
