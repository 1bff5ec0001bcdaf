# %% [markdown]
# # Object Detection Utilities: from a YOLO Output Tensor to Final Boxes
#
# Welcome! A YOLO-style detector does not output boxes directly. Its last layer produces one
# tensor that, for every grid cell and every anchor box, encodes *where* a box might be, *how
# confident* the network is that an object is there, and *which class* it would be. Turning
# that tensor into a handful of clean detections takes a pipeline of small, precise steps, and
# that pipeline is what you will build here, in numpy.
#
# **By the end of this assignment you will be able to:**
#
# - convert boxes between center format `(x, y, w, h)` and corner format `(x1, y1, x2, y2)`;
# - compute the Intersection over Union (IoU) of a box with many boxes at once;
# - discard low-scoring boxes with a class-score threshold;
# - implement greedy non-max suppression (NMS);
# - decode a grid-and-anchors output tensor into boxes, confidences and class probabilities;
# - chain everything into a `detect` function.
#
# Conventions used throughout: coordinates are **fractions of the image size** in `[0, 1]`,
# `x` grows to the right and `y` grows **downward**; a grid index `[i, j]` means row `i`
# (vertical position) and column `j` (horizontal position).
#
# ## Table of contents
# 1. Box formats (Exercise 1 - `center_to_corners`)
# 2. Intersection over Union (Exercise 2 - `iou`)
# 3. Filtering by class score (Exercise 3 - `filter_boxes`)
# 4. Non-max suppression (Exercise 4 - `non_max_suppression`)
# 5. Decoding the grid (Exercise 5 - `decode_output`)
# 6. The full pipeline (Exercise 6 - `detect`)

# %%
import numpy as np

# %% [markdown]
# ## 1. Box formats
#
# The network predicts a box by its **center** `(x, y)` and its **width and height** `(w, h)`.
# Computing overlaps is easier with **corners**: top-left `(x1, y1)` and bottom-right
# `(x2, y2)`:
#
# `x1 = x - w/2,  y1 = y - h/2,  x2 = x + w/2,  y2 = y + h/2`
#
# ### Exercise 1 - center_to_corners
#
# `boxes` has shape `(..., 4)`: any number of leading dimensions, the last one holding
# `(x, y, w, h)`. Return an array of the same shape holding `(x1, y1, x2, y2)`. Use `...`
# indexing (`boxes[..., 0]`) and `np.stack(..., axis=-1)` so that it works for every shape.
#
# **Expected:** `center_to_corners(np.array([[0.5, 0.5, 0.2, 0.4]]))` gives
# `[[0.4, 0.3, 0.6, 0.7]]`.

# %%
def center_to_corners(boxes):
    """
    Convert (x, y, w, h) boxes to (x1, y1, x2, y2).

    Arguments:
    boxes -- array of shape (..., 4) in center format

    Returns:
    corners -- array of shape (..., 4) in corner format
    """
    boxes = np.asarray(boxes, dtype=float)
    ### BEGIN SOLUTION
    x, y, w, h = boxes[..., 0], boxes[..., 1], boxes[..., 2], boxes[..., 3]
    corners = np.stack([x - w / 2, y - h / 2, x + w / 2, y + h / 2], axis=-1)
    ### END SOLUTION
    return corners


# %% [markdown]
# ## 2. Intersection over Union
#
# IoU measures how much two boxes overlap: the area of their intersection divided by the area
# of their union. It is 1 for identical boxes and 0 for disjoint ones.
#
# For corner boxes `A` and `B`:
#
# - the intersection is the box `(max(A.x1, B.x1), max(A.y1, B.y1), min(A.x2, B.x2), min(A.y2, B.y2))`;
# - its width is `max(0, xi2 - xi1)` and its height `max(0, yi2 - yi1)`: **clip at zero**,
#   otherwise two disjoint boxes (negative width *and* negative height) would get a positive area;
# - `union = area(A) + area(B) - intersection`, because the overlap is counted in both areas.
#
# ### Exercise 2 - iou
#
# Compute the IoU of **one** box against **many**, without a Python loop: `box` has shape
# `(4,)`, `boxes` has shape `(n, 4)`, and the result has shape `(n,)`. Broadcasting
# `np.maximum(box[0], boxes[:, 0])` does the work.
#
# **Expected:** `iou(np.array([0, 0, 2, 2]), np.array([[1, 1, 3, 3], [3, 3, 4, 4], [0, 0, 2, 2]]))`
# gives `[1/7, 0, 1]`.

# %%
def iou(box, boxes):
    """
    Intersection over union of one box with n boxes (corner format).

    Arguments:
    box -- array of shape (4,): (x1, y1, x2, y2)
    boxes -- array of shape (n, 4)

    Returns:
    ious -- array of shape (n,)
    """
    box = np.asarray(box, dtype=float)
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    ### BEGIN SOLUTION
    xi1 = np.maximum(box[0], boxes[:, 0])
    yi1 = np.maximum(box[1], boxes[:, 1])
    xi2 = np.minimum(box[2], boxes[:, 2])
    yi2 = np.minimum(box[3], boxes[:, 3])
    inter = np.maximum(0.0, xi2 - xi1) * np.maximum(0.0, yi2 - yi1)
    area_box = (box[2] - box[0]) * (box[3] - box[1])
    area_boxes = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area_box + area_boxes - inter
    ious = inter / union
    ### END SOLUTION
    return ious


# %% [markdown]
# ## 3. Filtering by class score
#
# For every grid cell and anchor the network predicts a **box confidence** `p_c` (the
# probability that the anchor contains *some* object) and **class probabilities**
# `c_1 ... c_C` (given that there is an object, which class it is). The score of class `k` is
# their product, `score_k = p_c * c_k`, and each box keeps only its best class.
#
# ### Exercise 3 - filter_boxes
#
# Inputs have any leading shape `L` (for a YOLO grid, `L = (S, S, A)`):
#
# - `box_confidence`: shape `L + (1,)`
# - `boxes`: shape `L + (4,)`
# - `class_probs`: shape `L + (C,)`
#
# Steps:
#
# 1. `box_scores = box_confidence * class_probs` (broadcasting), shape `L + (C,)`;
# 2. `box_classes` = the argmax over the last axis and `box_class_scores` = the max;
# 3. keep the boxes whose best score is **at least** `threshold` (`>=`);
# 4. return `(scores, boxes, classes)` with shapes `(N,)`, `(N, 4)` and `(N,)`, in the row-major
#    order of the grid (boolean-mask indexing does exactly this).

# %%
def filter_boxes(box_confidence, boxes, class_probs, threshold):
    """
    Keep the boxes whose best class score reaches the threshold.

    Returns:
    scores -- array (N,), the best class score of each kept box
    boxes -- array (N, 4), the kept boxes
    classes -- int array (N,), the best class of each kept box
    """
    box_confidence = np.asarray(box_confidence, dtype=float)
    boxes = np.asarray(boxes, dtype=float)
    class_probs = np.asarray(class_probs, dtype=float)
    ### BEGIN SOLUTION
    box_scores = box_confidence * class_probs
    box_classes = np.argmax(box_scores, axis=-1)
    box_class_scores = np.max(box_scores, axis=-1)
    mask = box_class_scores >= threshold
    scores = box_class_scores[mask]
    boxes = boxes[mask]
    classes = box_classes[mask]
    ### END SOLUTION
    return scores, boxes, classes


# %% [markdown]
# ## 4. Non-max suppression
#
# Even after filtering, one object usually produces several overlapping boxes (neighbouring
# cells and anchors all "see" it). Greedy NMS keeps the best one and removes its duplicates:
#
# 1. sort the boxes by decreasing score;
# 2. take the highest-scoring remaining box and **keep** it;
# 3. remove every remaining box whose IoU with it is **greater than** `iou_threshold`;
# 4. repeat until no boxes remain or `max_boxes` boxes have been kept.
#
# ### Exercise 4 - non_max_suppression
#
# Return the **indices** (into the input arrays) of the kept boxes, as an int array, in the
# order they were kept (decreasing score). Use `np.argsort(-scores, kind="stable")` so that
# equal scores keep their input order, and your `iou` for step 3.
#
# **Expected:** for boxes `[[0,0,1,1], [0.1,0,1.1,1], [2,2,3,3]]`, scores `[0.9, 0.8, 0.7]`,
# `iou_threshold=0.5` and `max_boxes=10`, the result is `[0, 2]`: box 1 overlaps box 0 with
# IoU 0.9/1.1 ≈ 0.82 and is suppressed.

# %%
def non_max_suppression(boxes, scores, iou_threshold, max_boxes):
    """
    Greedy NMS.

    Arguments:
    boxes -- array (n, 4) in corner format
    scores -- array (n,)
    iou_threshold -- float, boxes overlapping a kept box by more than this are removed
    max_boxes -- int, maximum number of boxes to keep

    Returns:
    keep -- int array of indices into boxes, highest score first
    """
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    scores = np.asarray(scores, dtype=float).reshape(-1)
    ### BEGIN SOLUTION
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size > 0 and len(keep) < max_boxes:
        best = order[0]
        keep.append(int(best))
        rest = order[1:]
        overlaps = iou(boxes[best], boxes[rest])
        order = rest[overlaps <= iou_threshold]
    keep = np.array(keep, dtype=int)
    ### END SOLUTION
    return keep


# %% [markdown]
# ## 5. Decoding the grid
#
# Our tiny detector divides the image into an `S x S` grid and uses `A` anchor boxes per cell.
# Its raw output has shape `(S, S, A, 5 + C)`; at `[i, j, a]` (row `i`, column `j`, anchor `a`)
# the last axis holds `(t_x, t_y, t_w, t_h, t_o, logit_1, ..., logit_C)`. As in YOLOv2:
#
# - `x = (j + sigmoid(t_x)) / S` : the center lies inside cell column `j`;
# - `y = (i + sigmoid(t_y)) / S` : and inside cell row `i`;
# - `w = anchor_w[a] * exp(t_w)`, `h = anchor_h[a] * exp(t_h)` : the anchor's shape, rescaled;
# - `p_c = sigmoid(t_o)` : box confidence;
# - class probabilities = `softmax(logits)` over the **class** axis (the last one).
#
# `anchors` has shape `(A, 2)`, each row `(anchor_w, anchor_h)` as a fraction of the image.
#
# ### Exercise 5 - decode_output
#
# Return `(box_confidence, boxes, class_probs)` with shapes `(S, S, A, 1)`, `(S, S, A, 4)`
# (center format `(x, y, w, h)`) and `(S, S, A, C)`. Build the column and row indices with
# `np.arange(S)` reshaped to broadcast: `cols = np.arange(S).reshape(1, S, 1)` varies along axis 1,
# `rows = np.arange(S).reshape(S, 1, 1)` along axis 0. The helpers `sigmoid` and `softmax` are given.
#
# **Expected:** an all-zero output decodes every box to the center of its cell, with the
# anchor's size, `p_c = 0.5` and uniform class probabilities `1/C`.

# %%
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z, axis=-1):
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def decode_output(output, anchors):
    """
    Decode a raw (S, S, A, 5 + C) output tensor.

    Returns:
    box_confidence -- (S, S, A, 1)
    boxes -- (S, S, A, 4) as (x, y, w, h), fractions of the image
    class_probs -- (S, S, A, C)
    """
    output = np.asarray(output, dtype=float)
    anchors = np.asarray(anchors, dtype=float).reshape(-1, 2)
    S = output.shape[0]
    ### BEGIN SOLUTION
    cols = np.arange(S).reshape(1, S, 1)
    rows = np.arange(S).reshape(S, 1, 1)
    x = (cols + sigmoid(output[..., 0])) / S
    y = (rows + sigmoid(output[..., 1])) / S
    w = anchors[:, 0] * np.exp(output[..., 2])
    h = anchors[:, 1] * np.exp(output[..., 3])
    boxes = np.stack([x, y, w, h], axis=-1)
    box_confidence = sigmoid(output[..., 4:5])
    class_probs = softmax(output[..., 5:], axis=-1)
    ### END SOLUTION
    return box_confidence, boxes, class_probs


# %% [markdown]
# ## 6. The full pipeline
#
# ### Exercise 6 - detect
#
# Chain everything:
#
# 1. `decode_output` the raw tensor;
# 2. convert the boxes to corners with `center_to_corners`;
# 3. `filter_boxes` with `score_threshold`;
# 4. run `non_max_suppression` **separately for each class** (a car box should not suppress an
#    overlapping pedestrian box), with `iou_threshold` and `max_boxes`;
# 5. gather the boxes kept for all classes, sort them by decreasing score (stable sort) and
#    keep at most `max_boxes` of them.
#
# Return `(scores, boxes, classes)` with shapes `(K,)`, `(K, 4)` (corners) and `(K,)` (ints).
# If nothing survives the threshold, return arrays of shapes `(0,)`, `(0, 4)` and `(0,)`.

# %%
def detect(output, anchors, score_threshold, iou_threshold, max_boxes):
    """
    Final detections of a raw (S, S, A, 5 + C) output tensor.

    Returns:
    scores -- (K,), boxes -- (K, 4) corner format, classes -- int (K,), highest score first
    """
    ### BEGIN SOLUTION
    box_confidence, boxes, class_probs = decode_output(output, anchors)
    corners = center_to_corners(boxes)
    scores, corners, classes = filter_boxes(box_confidence, corners, class_probs, score_threshold)
    keep = []
    for c in np.unique(classes):
        idx = np.flatnonzero(classes == c)
        kept = non_max_suppression(corners[idx], scores[idx], iou_threshold, max_boxes)
        keep.extend(idx[kept].tolist())
    keep = np.array(keep, dtype=int)
    keep = keep[np.argsort(-scores[keep], kind="stable")][:max_boxes]
    scores, boxes, classes = scores[keep], corners[keep].reshape(-1, 4), classes[keep].astype(int)
    ### END SOLUTION
    return scores, boxes, classes


# %% [markdown]
# ## Try it on a tiny street scene
#
# `make_street_output()` builds the raw output of a 4x4-grid, 2-anchor, 3-class detector
# (`car`, `pedestrian`, `traffic light`) looking at a scene with a car, a pedestrian standing
# next to it and a traffic light; a neighbouring anchor also fires on the car, as real detectors
# do. After finishing the exercises, run in a scratch cell:
#
# ```python
# scores, boxes, classes = detect(street_output, ANCHORS, 0.3, 0.5, 10)
# ```
#
# You should get three detections: the car (score ≈ 0.84), the pedestrian (≈ 0.79) and the
# traffic light (≈ 0.72), with classes `[0, 1, 2]`. The duplicate car box is removed by NMS even though it overlaps the
# pedestrian's box too: it is suppressed by the *car* box, not by the pedestrian.

# %%
CLASS_NAMES = ["car", "pedestrian", "traffic light"]
ANCHORS = np.array([[0.40, 0.25], [0.15, 0.40]])  # (w, h): a wide anchor and a tall one


def encode_box(x, y, w, h, anchor, S):
    """Inverse of the decoding formulas: raw (t_x, t_y, t_w, t_h) and the cell (row, col)."""
    col, row = int(x * S), int(y * S)
    fx, fy = x * S - col, y * S - row
    logit = lambda p: np.log(p / (1 - p))
    return row, col, [logit(fx), logit(fy), np.log(w / ANCHORS[anchor, 0]), np.log(h / ANCHORS[anchor, 1])]


def make_street_output(S=4):
    """Raw (S, S, 2, 8) output for a scene with a car, a pedestrian and a traffic light."""
    out = np.zeros((S, S, 2, 8))
    out[..., 4] = -6.0  # low objectness everywhere
    objects = [  # (x, y, w, h, anchor, class, objectness logit, class logit)
        (0.45, 0.70, 0.36, 0.22, 0, 0, 2.5, 3.0),     # car
        (0.62, 0.64, 0.12, 0.36, 1, 1, 2.0, 2.8),     # pedestrian
        (0.85, 0.20, 0.08, 0.30, 1, 2, 1.2, 3.5),     # traffic light
        (0.52, 0.72, 0.33, 0.26, 0, 0, 1.5, 2.5),     # duplicate car, in a neighbouring cell
    ]
    for x, y, w, h, a, c, t_o, t_c in objects:
        row, col, t = encode_box(x, y, w, h, a, S)
        out[row, col, a, :4] = t
        out[row, col, a, 4] = t_o
        out[row, col, a, 5 + c] = t_c
    return out


street_output = make_street_output()
print("raw output shape:", street_output.shape)
