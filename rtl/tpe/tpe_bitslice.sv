/* verilator lint_off DECLFILENAME */
/* verilator lint_off UNOPTFLAT */
// Bit-slice (OPT3 / OPT4C / OPT4E) column: A rows digit-serial with zero-digit skipping.
// Golden model: sim/models/tpe/arith.py (bitserial_gemm, bitserial_row_cycles, ent_encode).
// A[m][k] at a_mat[(m*K+k)*8 +: 8]; B[k][n] at b_mat[(k*N+n)*8 +: 8]; C[m][n] at
// out[(m*N+n)*32 +: 32]. After `start` the column runs rows 0..M-1 back to back; per digit j and
// per set of WAYS groups of 4 k-lanes it spends max(1, non-zero digits of the busiest group)
// cycles; `done` rises 2 cycles after the last schedule step (PE accumulate, pass fuse).

// EN-T encoder of one INT8 value (same rule as tpe_opt2.sv's tpe_ent_enc).
module tpe_bs_enc (
    input  logic [7:0] a,
    output logic [7:0] sel,
    output logic [3:0] nz
);
    logic s;
    logic [7:0] m;
    logic [2:0] v [4];
    logic [1:0] code [4];
    logic c [5];
    assign s = a[7];
    assign m = s ? (~a + 8'd1) : a;
    assign c[0] = 1'b0;
    for (genvar i = 0; i < 4; i++) begin : g_dig
        assign v[i] = {1'b0, m[2*i+1 -: 2]} + {2'b0, c[i]};
        assign code[i] = v[i][1:0];
        assign c[i+1] = (v[i] >= 3'd3);
        assign sel[2*i +: 2] = {code[i][1] ^ s, code[i][0]};
        assign nz[i] = (code[i] != 2'b00);
    end
endmodule

// Schedule generator + WAYS sparse encoders: one step per cycle, registered.
module tpe_bs_issue #(parameter int M = 4, parameter int K = 16, parameter int WAYS = 1) (
    input  logic                  clk,
    input  logic                  start,
    input  logic [M*K*8-1:0]      a_mat,
    output logic [WAYS-1:0]       i_vld,
    output logic [2*WAYS-1:0]     i_sel,
    output logic [8*WAYS-1:0]     i_k,     // k index of each way's lane (8 bits each)
    output logic                  i_first, // first step of a digit pass: clear the accumulator
    output logic                  i_last,  // last step of a digit pass: fuse next cycle
    output logic [1:0]            i_j,
    output logic [7:0]            i_m,
    output logic                  i_go     // a step was issued at the last edge
);
    localparam int S = K / (4 * WAYS);
    logic busy, fresh;
    logic [7:0] m;
    logic [1:0] j;
    logic [7:0] s;
    logic [3:0] rem [WAYS];
    logic [7:0] sel_c [K];
    logic [3:0] nz_c [K];
    for (genvar k = 0; k < K; k++) begin : g_enc
        tpe_bs_enc u_enc (.a(a_mat[(32'(m) * K + k) * 8 +: 8]), .sel(sel_c[k]), .nz(nz_c[k]));
    end
    logic [3:0] cur [WAYS];
    logic [3:0] nxt [WAYS];
    logic [1:0] lane [WAYS];
    logic all_done;
    always_comb begin
        all_done = 1'b1;
        for (int w = 0; w < WAYS; w++) begin
            for (int l = 0; l < 4; l++) cur[w][l] = fresh ? nz_c[(32'(s) * WAYS + w) * 4 + l][j]
                                                          : rem[w][l];
            lane[w] = cur[w][0] ? 2'd0 : cur[w][1] ? 2'd1 : cur[w][2] ? 2'd2 : 2'd3;
            nxt[w] = cur[w] & ~(4'b1 << lane[w]);
            if (nxt[w] != 4'b0) all_done = 1'b0;
        end
    end
    always_ff @(posedge clk) begin
        i_go <= 1'b0;
        if (start) begin
            busy <= 1'b1;
            fresh <= 1'b1;
            m <= '0;
            j <= '0;
            s <= '0;
        end else if (busy) begin
            i_go <= 1'b1;
            for (int w = 0; w < WAYS; w++) begin
                int g;
                g = 32'(s) * WAYS + w;
                i_vld[w] <= cur[w] != 4'b0;
                i_sel[2*w +: 2] <= sel_c[g * 4 + 32'(lane[w])][2*j +: 2];
                i_k[8*w +: 8] <= 8'(g * 4 + 32'(lane[w]));
                rem[w] <= nxt[w];
            end
            i_first <= fresh && (s == 0);
            i_last <= all_done && (32'(s) == S - 1);
            i_j <= j;
            i_m <= m;
            fresh <= all_done;
            if (all_done) begin
                if (32'(s) != S - 1) s <= s + 8'd1;
                else begin
                    s <= '0;
                    j <= j + 2'd1;
                    if (j == 2'd3) begin
                        if (32'(m) == M - 1) busy <= 1'b0;
                        else m <= m + 8'd1;
                    end
                end
            end
        end
    end
endmodule

// One bit-serial PE: WAYS candidate-PP selectors into a CSA tree with the (sum, carry) pair.
module tpe_bs_pe #(parameter int K = 16, parameter int WAYS = 1, parameter int AW = 26) (
    input  logic              clk,
    input  logic              go,
    input  logic [WAYS-1:0]   vld,
    input  logic [2*WAYS-1:0] sel,
    input  logic [8*WAYS-1:0] kidx,
    input  logic              first,
    input  logic [K*8-1:0]    bcol,   // this PE's column of B
    output logic [AW-1:0]     sum,
    output logic [AW-1:0]     carry
);
    logic [AW-1:0] ops [WAYS + 2];
    for (genvar w = 0; w < WAYS; w++) begin : g_pp
        logic [7:0] b;
        logic signed [9:0] bx, pp;
        assign b = bcol[32'(kidx[8*w +: 8]) * 8 +: 8];
        assign bx = {{2{b[7]}}, b};
        always_comb begin
            if (!vld[w]) pp = '0;
            else case (sel[2*w +: 2])
                2'b00: pp = -(bx <<< 1);
                2'b01: pp = bx;
                2'b10: pp = bx <<< 1;
                default: pp = -bx;
            endcase
        end
        assign ops[w] = {{(AW-10){pp[9]}}, pp};
    end
    assign ops[WAYS] = first ? '0 : sum;
    assign ops[WAYS + 1] = first ? '0 : carry;
    // (WAYS + 2) operands reduced by WAYS rows of 3:2 counters (a chain; only
    // (sum + carry) mod 2^AW matters)
    logic [AW-1:0] st [WAYS + 1][WAYS + 2];
    for (genvar i = 0; i < WAYS + 2; i++) begin : g_st0
        assign st[0][i] = ops[i];
    end
    for (genvar t = 0; t < WAYS; t++) begin : g_row
        localparam int NN = WAYS + 2 - t;
        for (genvar i = 0; i < NN - 3; i++) begin : g_keep
            assign st[t+1][i] = st[t][i];
        end
        assign st[t+1][NN-3] = st[t][NN-3] ^ st[t][NN-2] ^ st[t][NN-1];
        assign st[t+1][NN-2] = ((st[t][NN-3] & st[t][NN-2]) | (st[t][NN-3] & st[t][NN-1])
                                | (st[t][NN-2] & st[t][NN-1])) << 1;
        for (genvar i = NN - 1; i < WAYS + 2; i++) begin : g_pad
            assign st[t+1][i] = '0;
        end
    end
    logic [AW-1:0] s_out, c_out;
    assign s_out = st[WAYS][0];
    assign c_out = st[WAYS][1];
    always_ff @(posedge clk) begin
        if (go) begin
            sum <= s_out;
            carry <= c_out;
        end
    end
endmodule

module tpe_bitslice_cols #(parameter int M = 4, parameter int K = 16, parameter int N = 4,
                           parameter int WAYS = 1, parameter int SHARED = 1) (
    input  logic              clk,
    input  logic              start,
    input  logic [M*K*8-1:0]  a_mat,
    input  logic [K*N*8-1:0]  b_mat,
    output logic [M*N*32-1:0] out,
    output logic              done
);
    localparam int NI = (SHARED != 0) ? 1 : N;   // OPT3: a sparse encoder per PE; OPT4: one shared
    localparam int AW = 26;
    logic [WAYS-1:0] i_vld [NI];
    logic [2*WAYS-1:0] i_sel [NI];
    logic [8*WAYS-1:0] i_k [NI];
    logic i_first [NI], i_last [NI], i_go [NI];
    logic [1:0] i_j [NI];
    logic [7:0] i_m [NI];
    for (genvar e = 0; e < NI; e++) begin : g_issue
        tpe_bs_issue #(.M(M), .K(K), .WAYS(WAYS)) u_issue (
            .clk, .start, .a_mat, .i_vld(i_vld[e]), .i_sel(i_sel[e]), .i_k(i_k[e]),
            .i_first(i_first[e]), .i_last(i_last[e]), .i_j(i_j[e]), .i_m(i_m[e]),
            .i_go(i_go[e]));
    end
    logic p_last;
    logic [1:0] p_j;
    logic [7:0] p_m;
    always_ff @(posedge clk) begin
        p_last <= i_go[0] && i_last[0];
        p_j <= i_j[0];
        p_m <= i_m[0];
    end
    for (genvar n = 0; n < N; n++) begin : g_pe
        localparam int E = (SHARED != 0) ? 0 : n;
        logic [K*8-1:0] bcol;
        logic [AW-1:0] sum, carry;
        logic [31:0] res, fused;
        logic [31:0] outr [M];
        for (genvar mm = 0; mm < M; mm++) begin : g_out
            assign out[(mm * N + n) * 32 +: 32] = outr[mm];
        end
        for (genvar k = 0; k < K; k++) begin : g_b
            assign bcol[k*8 +: 8] = b_mat[(k*N+n)*8 +: 8];
        end
        tpe_bs_pe #(.K(K), .WAYS(WAYS), .AW(AW)) u_pe (
            .clk, .go(i_go[E]), .vld(i_vld[E]), .sel(i_sel[E]), .kidx(i_k[E]),
            .first(i_first[E]), .bcol, .sum, .carry);
        logic [AW-1:0] f26;
        assign f26 = sum + carry;
        assign fused = 32'($signed(f26)) << (2 * p_j);
        always_ff @(posedge clk) begin
            if (p_last) begin
                res <= (p_j == 2'd0 ? 32'd0 : res) + fused;
                if (p_j == 2'd3) outr[p_m[$clog2(M > 1 ? M : 2)-1:0]] <= res + fused;
            end
        end
    end
    always_ff @(posedge clk) begin
        if (start) done <= 1'b0;
        else if (p_last && p_j == 2'd3 && 32'(p_m) == M - 1) done <= 1'b1;
    end
endmodule

// Bench top: OPT3 (per-PE encoders), OPT4C (shared encoder), OPT4E (4 ways, shared compressor).
module tpe_bitslice_top #(parameter int M = 4, parameter int K = 16, parameter int N = 4) (
    input  logic              clk,
    input  logic              start,
    input  logic [M*K*8-1:0]  a_mat,
    input  logic [K*N*8-1:0]  b_mat,
    output logic [M*N*32-1:0] opt3_out,
    output logic              opt3_done,
    output logic [M*N*32-1:0] opt4c_out,
    output logic              opt4c_done,
    output logic [M*N*32-1:0] opt4e_out,
    output logic              opt4e_done
);
    tpe_bitslice_cols #(.M(M), .K(K), .N(N), .WAYS(1), .SHARED(0)) u_opt3 (
        .clk, .start, .a_mat, .b_mat, .out(opt3_out), .done(opt3_done));
    tpe_bitslice_cols #(.M(M), .K(K), .N(N), .WAYS(1), .SHARED(1)) u_opt4c (
        .clk, .start, .a_mat, .b_mat, .out(opt4c_out), .done(opt4c_done));
    tpe_bitslice_cols #(.M(M), .K(K), .N(N), .WAYS(4), .SHARED(1)) u_opt4e (
        .clk, .start, .a_mat, .b_mat, .out(opt4e_out), .done(opt4e_done));
endmodule
