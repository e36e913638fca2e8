;; binary-trees (the Computer Language Benchmarks Game), as in bench/: build trees of pairs,
;; check them, and drop them. Every node is a heapkit pair; refcounting frees each tree as
;; soon as its last reference goes.

(define (make-tree depth)
  (if (= depth 0)
      (cons '() '())
      (cons (make-tree (- depth 1)) (make-tree (- depth 1)))))

(define (check tree)
  (if (null? (car tree))
      1
      (+ 1 (check (car tree)) (check (cdr tree)))))

(define min-depth 4)
(define max-depth 10)

(define (stretch)
  (let ((depth (+ max-depth 1)))
    (display "stretch tree of depth ") (display depth)
    (display "\t check: ") (display (check (make-tree depth))) (newline)))

(define (iterations depth) (expt 2 (+ (- max-depth depth) min-depth)))

(define (run-depth depth)
  (let loop ((i 0) (sum 0))
    (if (< i (iterations depth))
        (loop (+ i 1) (+ sum (check (make-tree depth))))
        (begin
          (display (iterations depth)) (display "\t trees of depth ") (display depth)
          (display "\t check: ") (display sum) (newline)))))

(stretch)
(define long-lived (make-tree max-depth))
(let loop ((depth min-depth))
  (when (<= depth max-depth)
    (run-depth depth)
    (loop (+ depth 2))))
(display "long lived tree of depth ") (display max-depth)
(display "\t check: ") (display (check long-lived)) (newline)
