import numpy as np

from course_content.labkit import Mistake, Test


# ---------- independent helpers (used by inputs and by the known mistakes) ----------

def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(z, axis=-1):
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _corners(b):
    b = np.asarray(b, dtype=float)
    return np.stack([b[..., 0] - b[..., 2] / 2, b[..., 1] - b[..., 3] / 2,
                     b[..., 0] + b[..., 2] / 2, b[..., 1] + b[..., 3] / 2], axis=-1)


def _iou(box, boxes):
    box = np.asarray(box, dtype=float)
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    w = np.maximum(0.0, np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]))
    h = np.maximum(0.0, np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]))
    inter = w * h
    union = (box[2] - box[0]) * (box[3] - box[1]) + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) - inter
    return inter / union


def _filter(conf, boxes, probs, threshold, strict=False, use_conf=True):
    conf, boxes, probs = (np.asarray(a, dtype=float) for a in (conf, boxes, probs))
    s = conf * probs if use_conf else probs
    cls, best = np.argmax(s, axis=-1), np.max(s, axis=-1)
    mask = best > threshold if strict else best >= threshold
    return best[mask], boxes[mask], cls[mask]


def _nms(boxes, scores, thr, max_boxes, sort=True, keep_overlaps=False):
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    scores = np.asarray(scores, dtype=float).reshape(-1)
    order = np.argsort(-scores, kind="stable") if sort else np.arange(scores.shape[0])
    keep = []
    while order.size and (max_boxes is None or len(keep) < max_boxes):
        keep.append(int(order[0]))
        ov = _iou(boxes[order[0]], boxes[order[1:]])
        order = order[1:][ov > thr] if keep_overlaps else order[1:][ov <= thr]
    return np.array(keep, dtype=int)


def _decode(output, anchors, swap=False, no_sigmoid=False, no_div=False, softmax_axis=-1):
    output = np.asarray(output, dtype=float)
    anchors = np.asarray(anchors, dtype=float).reshape(-1, 2)
    S = output.shape[0]
    cols, rows = np.arange(S).reshape(1, S, 1), np.arange(S).reshape(S, 1, 1)
    if swap:
        cols, rows = rows, cols
    act = (lambda z: z) if no_sigmoid else _sigmoid
    div = 1 if no_div else S
    x = (cols + act(output[..., 0])) / div
    y = (rows + act(output[..., 1])) / div
    w = anchors[:, 0] * np.exp(output[..., 2])
    h = anchors[:, 1] * np.exp(output[..., 3])
    return (_sigmoid(output[..., 4:5]), np.stack([x, y, w, h], axis=-1),
            _softmax(output[..., 5:], axis=softmax_axis))


def _detect(output, anchors, score_threshold, iou_threshold, max_boxes, per_class=True, convert=True):
    conf, boxes, probs = _decode(output, anchors)
    if convert:
        boxes = _corners(boxes)
    scores, boxes, classes = _filter(conf, boxes, probs, score_threshold)
    if per_class:
        keep = []
        for c in np.unique(classes):
            idx = np.flatnonzero(classes == c)
            keep.extend(idx[_nms(boxes[idx], scores[idx], iou_threshold, max_boxes)].tolist())
        keep = np.array(keep, dtype=int)
    else:
        keep = _nms(boxes, scores, iou_threshold, max_boxes)
    keep = keep[np.argsort(-scores[keep], kind="stable")][:max_boxes]
    return scores[keep], boxes[keep].reshape(-1, 4), classes[keep].astype(int)


# ---------- inputs ----------

STREET_ANCHORS = np.array([[0.40, 0.25], [0.15, 0.40]])


def street_output(S=4):
    out = np.zeros((S, S, 2, 8))
    out[..., 4] = -6.0
    objects = [(0.45, 0.70, 0.36, 0.22, 0, 0, 2.5, 3.0), (0.62, 0.64, 0.12, 0.36, 1, 1, 2.0, 2.8),
               (0.85, 0.20, 0.08, 0.30, 1, 2, 1.2, 3.5), (0.52, 0.72, 0.33, 0.26, 0, 0, 1.5, 2.5)]
    for x, y, w, h, a, c, t_o, t_c in objects:
        col, row = int(x * S), int(y * S)
        fx, fy = x * S - col, y * S - row
        out[row, col, a, :4] = [np.log(fx / (1 - fx)), np.log(fy / (1 - fy)),
                                np.log(w / STREET_ANCHORS[a, 0]), np.log(h / STREET_ANCHORS[a, 1])]
        out[row, col, a, 4] = t_o
        out[row, col, a, 5 + c] = t_c
    return out


def random_center_boxes(rng):
    shape = (int(rng.integers(2, 4)), int(rng.integers(1, 4)), 4)
    b = rng.random(shape)
    b[..., 2:] = 0.05 + 0.4 * b[..., 2:]
    return {"boxes": b}


def _random_corner_boxes(rng, n):
    c = rng.random((n, 2))
    wh = rng.uniform(0.05, 0.5, size=(n, 2))
    return np.concatenate([c - wh / 2, c + wh / 2], axis=1)


def random_iou(rng):
    n = int(rng.integers(5, 12))
    boxes = _random_corner_boxes(rng, n)
    box = boxes[0] + rng.normal(0, 0.05, size=4)
    box[2:] = np.maximum(box[2:], box[:2] + 0.05)
    boxes[-1] = [5, 5, 6, 6]  # far away: no overlap
    return {"box": box, "boxes": boxes}


def random_filter(rng):
    S, A, C = int(rng.integers(2, 5)), int(rng.integers(1, 4)), int(rng.integers(2, 5))
    return {"box_confidence": rng.random((S, S, A, 1)), "boxes": rng.random((S, S, A, 4)),
            "class_probs": _softmax(2 * rng.standard_normal((S, S, A, C))), "threshold": 0.3}


def random_nms(rng):
    n = int(rng.integers(10, 20))
    centers = rng.random((3, 2))[rng.integers(0, 3, size=n)] + rng.normal(0, 0.03, size=(n, 2))
    wh = rng.uniform(0.15, 0.3, size=(n, 2))
    boxes = np.concatenate([centers - wh / 2, centers + wh / 2], axis=1)
    return {"boxes": boxes, "scores": rng.random(n), "iou_threshold": 0.5, "max_boxes": int(rng.integers(2, 6))}


def random_raw_output(rng):
    S, A, C = int(rng.choice([3, 5])), int(rng.integers(2, 4)), int(rng.integers(2, 5))
    out = rng.normal(0, 1, size=(S, S, A, 5 + C))
    return {"output": out, "anchors": rng.uniform(0.1, 0.5, size=(A, 2))}


def random_detect(rng):
    d = random_raw_output(rng)
    d["output"][..., 4] = rng.normal(0.5, 1.5, size=d["output"].shape[:3])
    d["output"][..., 5:] *= 2
    d.update(score_threshold=0.25, iou_threshold=0.2, max_boxes=int(rng.integers(4, 9)))
    return d


def _zeros_expected():
    S, A, C = 2, 2, 3
    anchors = np.array([[0.2, 0.3], [0.5, 0.1]])
    boxes = np.zeros((S, S, A, 4))
    for i in range(S):
        for j in range(S):
            for a in range(A):
                boxes[i, j, a] = [(j + 0.5) / S, (i + 0.5) / S, anchors[a, 0], anchors[a, 1]]
    return (np.full((S, S, A, 1), 0.5), boxes, np.full((S, S, A, C), 1 / 3))


def _offset_output():
    out = np.zeros((3, 3, 2, 7))
    out[0, 2, 1] = [np.log(3.0), 0.0, np.log(2.0), 0.0, np.log(4.0), 0.0, 0.0]  # sigmoid(log 3) = 0.75
    out[2, 0, 0, 5] = np.log(3.0)  # class probabilities (0.75, 0.25)
    return out


TESTS = [
    # Exercise 1
    Test("one box to corners", call="center_to_corners", inputs={"boxes": np.array([[0.5, 0.5, 0.2, 0.4]])},
         expected=np.array([[0.4, 0.3, 0.6, 0.7]]), public=True),
    Test("a grid of boxes keeps its shape", call="center_to_corners",
         inputs={"boxes": np.array([[[0.25, 0.75, 0.5, 0.1]], [[0.0, 0.0, 1.0, 2.0]]])},
         expected=np.array([[[0.0, 0.7, 0.5, 0.8]], [[-0.5, -1.0, 0.5, 1.0]]]), public=True),
    Test("center to corners, random boxes", call="center_to_corners", inputs=random_center_boxes),
    # Exercise 2
    Test("IoU: partial, disjoint and identical boxes", call="iou",
         inputs={"box": np.array([0.0, 0.0, 2.0, 2.0]),
                 "boxes": np.array([[1.0, 1.0, 3.0, 3.0], [3.0, 3.0, 4.0, 4.0], [0.0, 0.0, 2.0, 2.0]])},
         expected=np.array([1 / 7, 0.0, 1.0]), public=True),
    Test("IoU: containment, touching edge, diagonal disjoint", call="iou",
         inputs={"box": np.array([1.0, 2.0, 4.0, 6.0]),
                 "boxes": np.array([[2.0, 3.0, 3.0, 4.0], [4.0, 2.0, 5.0, 6.0], [5.0, 7.0, 6.0, 9.0]])},
         expected=np.array([1 / 12, 0.0, 0.0]), public=True),
    Test("IoU, random boxes", call="iou", inputs=random_iou),
    # Exercise 3
    Test("filter three boxes", call="filter_boxes",
         inputs={"box_confidence": np.array([[0.9], [0.5], [0.2]]),
                 "boxes": np.array([[0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 2.0, 2.0], [2.0, 2.0, 3.0, 3.0]]),
                 "class_probs": np.array([[0.1, 0.9], [0.6, 0.4], [0.5, 0.5]]), "threshold": 0.3},
         expected=(np.array([0.81, 0.3]), np.array([[0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 2.0, 2.0]]), np.array([1, 0])),
         public=True),
    Test("filter a random grid", call="filter_boxes", inputs=random_filter),
    # Exercise 4
    Test("NMS removes a duplicate", call="non_max_suppression",
         inputs={"boxes": np.array([[0.0, 0.0, 1.0, 1.0], [0.1, 0.0, 1.1, 1.0], [2.0, 2.0, 3.0, 3.0]]),
                 "scores": np.array([0.9, 0.8, 0.7]), "iou_threshold": 0.5, "max_boxes": 10},
         expected=np.array([0, 2]), public=True),
    Test("NMS sorts by score and respects max_boxes", call="non_max_suppression",
         inputs={"boxes": np.array([[0.0, 0.0, 1.0, 1.0], [5.0, 5.0, 6.0, 6.0], [0.0, 0.1, 1.0, 1.1], [9.0, 9.0, 10.0, 10.0]]),
                 "scores": np.array([0.6, 0.7, 0.95, 0.2]), "iou_threshold": 0.5, "max_boxes": 2},
         expected=np.array([2, 1]), public=True),
    Test("NMS, random clusters of boxes", call="non_max_suppression", inputs=random_nms),
    Test("NMS, more random clusters", call="non_max_suppression", inputs=random_nms, seed=1),
    # Exercise 5
    Test("decode an all-zero output", call="decode_output",
         inputs={"output": np.zeros((2, 2, 2, 8)), "anchors": np.array([[0.2, 0.3], [0.5, 0.1]])},
         expected=_zeros_expected(), public=True),
    Test("decode offsets, sizes and confidence", call="decode_output",
         inputs={"output": _offset_output(), "anchors": np.array([[0.2, 0.3], [0.1, 0.4]])},
         public=True),
    Test("decode a random output", call="decode_output", inputs=random_raw_output),
    # Exercise 6
    Test("detect the street scene", call="detect",
         inputs={"output": street_output(), "anchors": STREET_ANCHORS, "score_threshold": 0.3,
                 "iou_threshold": 0.5, "max_boxes": 10},
         expected=(np.array([0.840454307812503, 0.7852900087551635, 0.7247534668488396]),
                   np.array([[0.27, 0.59, 0.63, 0.81], [0.56, 0.46, 0.68, 0.82], [0.81, 0.05, 0.89, 0.35]]),
                   np.array([0, 1, 2])),
         public=True),
    Test("detect keeps a pedestrian that overlaps a car", call="detect",
         inputs={"output": street_output(), "anchors": STREET_ANCHORS, "score_threshold": 0.3,
                 "iou_threshold": 0.1, "max_boxes": 10},
         expected=(np.array([0.840454307812503, 0.7852900087551635, 0.7247534668488396]),
                   np.array([[0.27, 0.59, 0.63, 0.81], [0.56, 0.46, 0.68, 0.82], [0.81, 0.05, 0.89, 0.35]]),
                   np.array([0, 1, 2])),
         public=True),
    Test("detect with nothing above the threshold", call="detect",
         inputs={"output": street_output(), "anchors": STREET_ANCHORS, "score_threshold": 0.95,
                 "iou_threshold": 0.5, "max_boxes": 10},
         expected=(np.zeros(0), np.zeros((0, 4)), np.zeros(0, dtype=int)), public=True),
    Test("detect on a random output", call="detect", inputs=random_detect),
    Test("detect on another random output", call="detect", inputs=random_detect, seed=2),
]


# ---------- known mistakes ----------

def _c2c_no_half(boxes):
    b = np.asarray(boxes, dtype=float)
    return np.stack([b[..., 0] - b[..., 2], b[..., 1] - b[..., 3], b[..., 0] + b[..., 2], b[..., 1] + b[..., 3]], axis=-1)


def _c2c_wrong_order(boxes):
    c = _corners(boxes)
    return c[..., [0, 2, 1, 3]]


def _iou_no_clip(box, boxes):
    box = np.asarray(box, dtype=float)
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    inter = ((np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]))
             * (np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1])))
    union = (box[2] - box[0]) * (box[3] - box[1]) + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) - inter
    return inter / union


def _iou_union_no_subtract(box, boxes):
    box = np.asarray(box, dtype=float)
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    w = np.maximum(0.0, np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]))
    h = np.maximum(0.0, np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]))
    return w * h / ((box[2] - box[0]) * (box[3] - box[1]) + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))


def _iou_min_max_swapped(box, boxes):
    box = np.asarray(box, dtype=float)
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    w = np.maximum(0.0, np.maximum(box[2], boxes[:, 2]) - np.minimum(box[0], boxes[:, 0]))
    h = np.maximum(0.0, np.maximum(box[3], boxes[:, 3]) - np.minimum(box[1], boxes[:, 1]))
    inter = w * h
    union = (box[2] - box[0]) * (box[3] - box[1]) + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) - inter
    return inter / union


MISTAKES = [
    Mistake(call="center_to_corners", name="forgot to halve width and height", impl=_c2c_no_half,
            hint="The center is in the middle of the box, so each corner is half a width (w/2) and half a height "
                 "(h/2) away from it, not a full w or h."),
    Mistake(call="center_to_corners", name="returned (x1, x2, y1, y2)", impl=_c2c_wrong_order,
            hint="Return the corners in the order (x1, y1, x2, y2): top-left point first, then bottom-right point."),
    Mistake(call="iou", name="intersection not clipped at zero", impl=_iou_no_clip,
            hint="For boxes that do not overlap, xi2 - xi1 and yi2 - yi1 are negative, and two negatives multiply to "
                 "a positive 'area'. Clip each side with np.maximum(0, ...) before multiplying."),
    Mistake(call="iou", name="union counts the intersection twice", impl=_iou_union_no_subtract,
            hint="area(A) + area(B) counts the overlap twice: union = area(A) + area(B) - intersection. "
                 "Check: two identical boxes must have IoU exactly 1."),
    Mistake(call="iou", name="max and min swapped in the intersection", impl=_iou_min_max_swapped,
            hint="The intersection's top-left corner is the *maximum* of the two top-left corners and its "
                 "bottom-right corner the *minimum* of the two bottom-right corners."),
    Mistake(call="filter_boxes", name="ignored the box confidence", impl=lambda box_confidence, boxes, class_probs, threshold:
            _filter(box_confidence, boxes, class_probs, threshold, use_conf=False),
            hint="A class score is p_c * c_k: multiply the class probabilities by box_confidence before taking "
                 "the max, or every empty anchor with a confident class guess survives."),
    Mistake(call="filter_boxes", name="strict threshold", impl=lambda box_confidence, boxes, class_probs, threshold:
            _filter(box_confidence, boxes, class_probs, threshold, strict=True),
            hint="Keep boxes whose score is at least the threshold: use >=, not >."),
    Mistake(call="non_max_suppression", name="kept the overlapping boxes", impl=lambda boxes, scores, iou_threshold, max_boxes:
            _nms(boxes, scores, iou_threshold, max_boxes, keep_overlaps=True),
            hint="After keeping the best box, remove the boxes that overlap it *more* than iou_threshold and keep "
                 "the others: the condition for staying is iou <= iou_threshold."),
    Mistake(call="non_max_suppression", name="did not sort by score", impl=lambda boxes, scores, iou_threshold, max_boxes:
            _nms(boxes, scores, iou_threshold, max_boxes, sort=False),
            hint="Greedy NMS always picks the highest-scoring remaining box next. Process boxes in the order of "
                 "np.argsort(-scores, kind='stable'), not in input order."),
    Mistake(call="non_max_suppression", name="ignored max_boxes", impl=lambda boxes, scores, iou_threshold, max_boxes:
            _nms(boxes, scores, iou_threshold, None),
            hint="Stop as soon as max_boxes boxes have been kept."),
    Mistake(call="decode_output", name="rows and columns swapped", impl=lambda output, anchors: _decode(output, anchors, swap=True),
            hint="x is horizontal, so it uses the column index j (axis 1 of the grid); y uses the row index i "
                 "(axis 0). cols = np.arange(S).reshape(1, S, 1), rows = np.arange(S).reshape(S, 1, 1)."),
    Mistake(call="decode_output", name="forgot the sigmoid on the offsets", impl=lambda output, anchors: _decode(output, anchors, no_sigmoid=True),
            hint="sigmoid(t_x) keeps the center inside its cell (an offset between 0 and 1). Apply it to t_x and "
                 "t_y before adding the cell index."),
    Mistake(call="decode_output", name="did not divide by S", impl=lambda output, anchors: _decode(output, anchors, no_div=True),
            hint="j + sigmoid(t_x) is in grid-cell units; divide by S to express x (and y) as a fraction of the image."),
    Mistake(call="decode_output", name="softmax over the wrong axis", impl=lambda output, anchors: _decode(output, anchors, softmax_axis=2),
            hint="Class probabilities are normalized over the classes, the last axis: softmax(..., axis=-1). "
                 "Normalizing over anchors (axis 2) mixes different boxes."),
    Mistake(call="detect", name="class-agnostic NMS", impl=lambda output, anchors, score_threshold, iou_threshold, max_boxes:
            _detect(output, anchors, score_threshold, iou_threshold, max_boxes, per_class=False),
            hint="Run non_max_suppression separately for each class: a box of one class must not suppress an "
                 "overlapping box of another class (a pedestrian next to a car)."),
    Mistake(call="detect", name="kept center-format boxes", impl=lambda output, anchors, score_threshold, iou_threshold, max_boxes:
            _detect(output, anchors, score_threshold, iou_threshold, max_boxes, convert=False),
            hint="decode_output returns (x, y, w, h); convert them with center_to_corners before filtering, since "
                 "iou (and the returned boxes) use corner format."),
]
