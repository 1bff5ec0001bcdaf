# %% [markdown]
# # Logistic regression with a neural-network mindset
#
# In this lab you build an image classifier that recognizes "cats" with logistic
# regression, structured exactly like the neural networks you will build later: a forward
# pass computes the predictions and the cost, a backward pass computes the gradients, and
# gradient descent updates the parameters.
#
# You will implement:
#
# 1. `preprocess(images)`: flatten and scale a batch of images
# 2. `sigmoid(z)`
# 3. `initialize_with_zeros(dim)`
# 4. `propagate(w, b, X, Y)`: forward and backward propagation, returning gradients and cost
# 5. `optimize(...)`: gradient descent
# 6. `predict(w, b, X)`
# 7. `model(...)`: everything put together
#
# Only NumPy is used. Do not use loops over examples (`for i in range(m)`) in the graded
# functions: the whole point is to vectorize. Public tests check your functions on the
# values quoted in the instructions; hidden tests use other shapes, so never hard-code a size.

# %%
import numpy as np

# %% [markdown]
# ## 1. The dataset
#
# Real cat photos would need a download, so this lab generates a small synthetic data set
# with the same structure: tiny colour "photos" of `num_px x num_px` pixels with 3 colour
# channels and integer intensities from 0 to 255. A "cat" (label 1) is a warm-coloured
# round face with two ears; a "non-cat" (label 0) is a cool-coloured ball or just a noisy
# background. Positions, sizes, colours and noise vary from picture to picture.
#
# `load_dataset` returns:
#
# * `train_set_x_orig`: array of shape `(m_train, num_px, num_px, 3)`
# * `train_set_y`: labels of shape `(1, m_train)`
# * `test_set_x_orig`, `test_set_y`: the same for the test set
# * `classes`: the class names

# %%
def load_dataset(m_train=160, m_test=50, num_px=8, seed=1):
    """Generate the synthetic cat / non-cat images (deterministic for a given seed)."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:num_px, 0:num_px]
    warm = np.array([1.0, 0.55, -0.45])   # adds red, some green, removes blue
    cool = np.array([-0.3, 0.35, 1.0])

    def make(m):
        y = np.arange(m) % 2
        rng.shuffle(y)
        images = np.empty((m, num_px, num_px, 3))
        for i in range(m):
            img = rng.uniform(40, 170, size=3) + rng.normal(0, 30, size=(num_px, num_px, 3))
            cy, cx = (num_px - 1) / 2 + rng.uniform(-1.2, 1.2, size=2)
            r = rng.uniform(1.6, 2.6)
            blob = (rows - cy) ** 2 + (cols - cx) ** 2 <= r ** 2
            if y[i] == 1:
                img[blob] += rng.uniform(35, 75) * warm
                ear_row = int(round(cy - r - 0.5))
                for dx in (-1, 1):
                    ear_col = int(round(cx + dx * 0.75 * r))
                    if 0 <= ear_row < num_px and 0 <= ear_col < num_px:
                        img[ear_row, ear_col] += rng.uniform(35, 75) * warm
            elif rng.uniform() < 0.7:
                img[blob] += rng.uniform(25, 70) * cool
            images[i] = img
        return np.clip(np.round(images), 0, 255), y.reshape(1, m)

    train_x, train_y = make(m_train)
    test_x, test_y = make(m_test)
    return train_x, train_y, test_x, test_y, np.array(["non-cat", "cat"])


train_set_x_orig, train_set_y, test_set_x_orig, test_set_y, classes = load_dataset()
m_train = train_set_x_orig.shape[0]
m_test = test_set_x_orig.shape[0]
num_px = train_set_x_orig.shape[1]
print(f"m_train = {m_train}, m_test = {m_test}, num_px = {num_px}")
print("train_set_x_orig shape:", train_set_x_orig.shape, " train_set_y shape:", train_set_y.shape)
print("example 0 is a", classes[train_set_y[0, 0]], "; its red channel:")
print(train_set_x_orig[0, :, :, 0].astype(int))

# %% [markdown]
# ## 2. Preprocessing
#
# Logistic regression takes each example as a column vector of `n_x` features. So
# reshape the batch of images of shape `(m, num_px, num_px, 3)` into a matrix `X` of
# shape `(num_px * num_px * 3, m)`: **one flattened image per column**. A reliable
# trick for "flatten everything but the first axis, then transpose" is
#
#     X_flatten = X.reshape(X.shape[0], -1).T
#
# Beware of `X.reshape(-1, m)`: it has the right shape but mixes pixels of different
# images into the same column.
#
# Then standardize. For images the usual choice is simply to divide by 255, the maximum
# pixel value, so that every feature lies in [0, 1]. Features of similar, small scale
# make gradient descent behave much better.
#
# **Exercise 1.** Implement `preprocess(images)`. For the training set you should get a
# matrix of shape `(192, 160)`.

# %%
def preprocess(images):
    """Flatten images into columns and scale them to [0, 1].

    Arguments:
    images -- numpy array of shape (m, num_px, num_px, 3) with values in [0, 255]

    Returns:
    X -- numpy array of shape (num_px * num_px * 3, m) with values in [0, 1]
    """
    ### BEGIN SOLUTION
    X = images.reshape(images.shape[0], -1).T / 255.0
    ### END SOLUTION
    return X


# %% [markdown]
# ## 3. The building blocks
#
# For one example `x`, logistic regression computes
#
#     z = w^T x + b
#     yhat = a = sigmoid(z)
#     L(a, y) = -( y * log(a) + (1 - y) * log(1 - a) )
#
# and the cost is the average loss over the `m` training examples:
# `J = (1/m) * sum_i L(a_i, y_i)`.
#
# **Exercise 2.** Implement `sigmoid(z)` for a scalar or an array of any shape.

# %%
def sigmoid(z):
    """Compute the sigmoid of z.

    Arguments:
    z -- a scalar or numpy array of any size

    Returns:
    s -- sigmoid(z)
    """
    ### BEGIN SOLUTION
    s = 1 / (1 + np.exp(-z))
    ### END SOLUTION
    return s


# %% [markdown]
# **Exercise 3.** Implement `initialize_with_zeros(dim)`: return a column vector `w` of
# zeros of shape `(dim, 1)` and the bias `b = 0.0` as a Python float. (Zero
# initialization is fine for logistic regression; you will see in week 3 why it is not
# for networks with hidden layers.)

# %%
def initialize_with_zeros(dim):
    """Create a zero weight vector of shape (dim, 1) and a zero bias.

    Arguments:
    dim -- size of the w vector (the number of features)

    Returns:
    w -- initialized vector of shape (dim, 1)
    b -- initialized scalar bias (a Python float)
    """
    ### BEGIN SOLUTION
    w = np.zeros((dim, 1))
    b = 0.0
    ### END SOLUTION
    return w, b


# %% [markdown]
# ## 4. Forward and backward propagation
#
# With all `m` examples stacked as the columns of `X` (shape `(n_x, m)`) and the labels
# in `Y` (shape `(1, m)`):
#
# *Forward propagation*
#
#     A = sigmoid(w^T X + b)                                 shape (1, m)
#     cost = -(1/m) * sum( Y * log(A) + (1 - Y) * log(1 - A) )
#
# *Backward propagation*
#
#     dZ = A - Y                                             shape (1, m)
#     dw = dJ/dw = (1/m) * X dZ^T                            shape (n_x, 1)
#     db = dJ/db = (1/m) * sum(dZ)                           a number
#
# **Exercise 4.** Implement `propagate(w, b, X, Y)`. Return the gradients in a dict
# `{"dw": dw, "db": db}` and the cost as a Python float (`float(np.squeeze(cost))`);
# return `db` as a float too.
#
# Check: for `w = [[0.5], [-1.]]`, `b = 0.2`, `X = [[1., -2., 0.5], [2., 1., -1.5]]`,
# `Y = [[0, 1, 1]]` you should get `dw = [[0.62272874], [-0.08099629]]`,
# `db = -0.2561790921098291` and `cost = 0.7756690464773114`.

# %%
def propagate(w, b, X, Y):
    """Cost function and its gradient for logistic regression.

    Arguments:
    w -- weights, numpy array of shape (n_x, 1)
    b -- bias, a scalar
    X -- data of shape (n_x, m)
    Y -- true labels (0 or 1) of shape (1, m)

    Returns:
    grads -- dict with "dw" (same shape as w) and "db" (a float)
    cost -- negative log-likelihood cost for logistic regression (a float)
    """
    m = X.shape[1]
    ### BEGIN SOLUTION
    A = sigmoid(np.dot(w.T, X) + b)
    cost = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
    dZ = A - Y
    dw = np.dot(X, dZ.T) / m
    db = np.sum(dZ) / m
    ### END SOLUTION
    grads = {"dw": dw, "db": float(db)}
    return grads, float(np.squeeze(cost))


# %% [markdown]
# ## 5. Optimization
#
# Gradient descent repeats, `num_iterations` times:
#
#     grads, cost = propagate(w, b, X, Y)
#     w = w - learning_rate * dw
#     b = b - learning_rate * db
#
# **Exercise 5.** Implement `optimize`. Record the cost in the list `costs` at every
# iteration `i` with `i % 100 == 0` (that is at i = 0, 100, 200, ...; the cost recorded
# is the one computed *before* that iteration's update). Return the final parameters
# `{"w": w, "b": b}`, the last gradients `{"dw": dw, "db": db}` and `costs`.
# Do not modify the caller's `w` in place: use `w = w - ...`, not `w -= ...`.
#
# Check: with the `w, b, X, Y` of exercise 4, `num_iterations=200` and
# `learning_rate=0.1`, you should get `w = [[-1.7459624], [-1.69980508]]`,
# `b = 1.3682381850808776` and `costs = [0.7756690464773114, 0.07036373952286035]`.

# %%
def optimize(w, b, X, Y, num_iterations=100, learning_rate=0.009, print_cost=False):
    """Optimize w and b with gradient descent.

    Arguments:
    w -- weights, numpy array of shape (n_x, 1)
    b -- bias, a scalar
    X -- data of shape (n_x, m)
    Y -- true labels of shape (1, m)
    num_iterations -- number of gradient-descent steps
    learning_rate -- step size of each update
    print_cost -- print the cost every 100 steps

    Returns:
    params -- dict with the learned "w" and "b"
    grads -- dict with the gradients "dw" and "db" of the last step
    costs -- list of the costs recorded every 100 iterations
    """
    costs = []
    dw, db = np.zeros_like(w), 0.0
    for i in range(num_iterations):
        ### BEGIN SOLUTION
        grads, cost = propagate(w, b, X, Y)
        dw = grads["dw"]
        db = grads["db"]
        w = w - learning_rate * dw
        b = b - learning_rate * db
        if i % 100 == 0:
            costs.append(cost)
        ### END SOLUTION
        if print_cost and i % 100 == 0:
            print(f"Cost after iteration {i}: {cost:.6f}")
    params = {"w": w, "b": float(b)}
    grads = {"dw": dw, "db": float(db)}
    return params, grads, costs


# %% [markdown]
# ## 6. Prediction
#
# The learned parameters give a probability `A = sigmoid(w^T X + b)` for every example.
# Convert it to a hard label: 1 if the probability is **greater than** 0.5, otherwise 0.
# A vectorized way is `(A > 0.5).astype(float)`.
#
# **Exercise 6.** Implement `predict(w, b, X)` returning a float array of shape `(1, m)`.
#
# Check: for `w = [[0.3], [-0.8]]`, `b = 0.1`, `X = [[1., 2., -1., 0.4], [0.2, 1., -0.2, 0.]]`
# the predictions are `[[1., 0., 0., 1.]]`.

# %%
def predict(w, b, X):
    """Predict 0 / 1 labels with learned logistic-regression parameters.

    Arguments:
    w -- weights, numpy array of shape (n_x, 1)
    b -- bias, a scalar
    X -- data of shape (n_x, m)

    Returns:
    Y_prediction -- numpy array of shape (1, m) of 0.0 / 1.0 predictions
    """
    ### BEGIN SOLUTION
    A = sigmoid(np.dot(w.T, X) + b)
    Y_prediction = (A > 0.5).astype(float)
    ### END SOLUTION
    return Y_prediction


# %% [markdown]
# ## 7. Putting it together
#
# **Exercise 7.** Implement `model`: initialize the parameters with zeros (one weight per
# row of `X_train`), run `optimize` on the training set with the given
# `num_iterations` and `learning_rate`, then predict on both sets. Return the dict
#
#     {"costs": costs,
#      "Y_prediction_test": Y_prediction_test,
#      "Y_prediction_train": Y_prediction_train,
#      "w": w, "b": b,
#      "learning_rate": learning_rate,
#      "num_iterations": num_iterations}

# %%
def model(X_train, Y_train, X_test, Y_test, num_iterations=2000, learning_rate=0.5, print_cost=False):
    """Build and train the logistic-regression model.

    Arguments:
    X_train -- training set of shape (n_x, m_train)
    Y_train -- training labels of shape (1, m_train)
    X_test -- test set of shape (n_x, m_test)
    Y_test -- test labels of shape (1, m_test)
    num_iterations -- number of gradient-descent steps
    learning_rate -- step size
    print_cost -- print the cost every 100 iterations

    Returns:
    d -- dict with the information about the model (see above)
    """
    ### BEGIN SOLUTION
    w, b = initialize_with_zeros(X_train.shape[0])
    params, grads, costs = optimize(w, b, X_train, Y_train, num_iterations, learning_rate, print_cost)
    w = params["w"]
    b = params["b"]
    Y_prediction_test = predict(w, b, X_test)
    Y_prediction_train = predict(w, b, X_train)
    ### END SOLUTION
    if print_cost:
        print(f"train accuracy: {100 - np.mean(np.abs(Y_prediction_train - Y_train)) * 100:.1f} %")
        print(f"test accuracy: {100 - np.mean(np.abs(Y_prediction_test - Y_test)) * 100:.1f} %")
    d = {"costs": costs,
         "Y_prediction_test": Y_prediction_test,
         "Y_prediction_train": Y_prediction_train,
         "w": w,
         "b": b,
         "learning_rate": learning_rate,
         "num_iterations": num_iterations}
    return d


# %% [markdown]
# ## 8. Train it and look at the results
#
# When all the public tests pass, train your classifier in a new cell:
#
#     train_x = preprocess(train_set_x_orig)
#     test_x = preprocess(test_set_x_orig)
#     d = model(train_x, train_set_y, test_x, test_set_y,
#               num_iterations=2000, learning_rate=0.01, print_cost=True)
#
# You should see the cost fall steadily from 0.693 (= log 2, the cost of always
# predicting 0.5) and reach about 99% training accuracy and 90% test accuracy. The gap
# between the two is a first glimpse of **overfitting**: 192 weights fitted to 160
# examples.
#
# Things to try:
#
# * Learning rates 0.001, 0.01 and 0.1 with the same number of iterations. Too small and
#   the cost barely moves; larger rates converge faster here, but on harder problems a
#   rate that is too large makes the cost oscillate or diverge.
# * Reshape `d["w"]` to `(num_px, num_px, 3)` and print the red and blue channels: the
#   weights are positive for red and clearly negative for blue near the centre of the
#   image. The model has learned a "warm object in the middle" detector. That is enough
#   here; in week 4 the non-cats include warm objects without ears, and a single linear
#   unit is no longer enough.
# * Which test images are misclassified? `np.where(d["Y_prediction_test"] != test_set_y)`.
